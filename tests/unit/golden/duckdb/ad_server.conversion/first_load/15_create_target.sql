-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_target, template shipped sql/duckdb/create_target.sql
CREATE TABLE IF NOT EXISTS "raw"."conversions" AS
SELECT "conversion_id", "event_ts", "value", "dt", "hour"
FROM "_loaders_stage_loadid"
LIMIT 0
