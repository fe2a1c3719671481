-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step create_target, template shipped sql/postgres/create_target.sql
CREATE TABLE "select"."ta""ble; drop" AS
SELECT "user ""id""", "order", "ts; DROP TABLE x --", "value", "dt"
FROM "_loaders_stage_loadid"
LIMIT 0
