-- loaders compile: sink postgres (postgres), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_stage, template shipped sql/postgres/create_stage.sql
CREATE TEMP TABLE "_loaders_stage_loadid" AS
SELECT
    t."conversion_id" AS "conversion_id",
    t."event_ts" AS "event_ts",
    t."value" AS "value",
    t."dt" AS "dt",
    t."hour" AS "hour"
FROM "raw"."conversions" AS t
LIMIT 0
