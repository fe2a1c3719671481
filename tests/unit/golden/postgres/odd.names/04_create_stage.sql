-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step create_stage, template shipped sql/postgres/create_stage.sql
CREATE TEMP TABLE "_loaders_stage_loadid" AS
SELECT
    t."user ""id""" AS "user ""id""",
    t."order" AS "order",
    t."ts; DROP TABLE x --" AS "ts; DROP TABLE x --",
    t."value" AS "value",
    t."dt" AS "dt"
FROM "select"."ta""ble; drop" AS t
LIMIT 0
