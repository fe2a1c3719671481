-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_target, template shipped sql/postgres/create_target.sql
CREATE TABLE "raw"."conversions" AS
SELECT "conversion_id", "event_ts", "value", "dt", "hour"
FROM "_loaders_stage_loadid"
LIMIT 0
