-- loaders compile: sink postgres (postgres), dataset ad_server.click, partition dt=2026-01-01
-- step create_target, template shipped sql/postgres/create_target.sql
CREATE TABLE "raw"."clicks" AS
SELECT "value", "dt"
FROM "_loaders_stage_loadid"
LIMIT 0
