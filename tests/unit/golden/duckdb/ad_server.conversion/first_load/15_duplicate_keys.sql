-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step duplicate_keys, template shipped sql/duckdb/duplicate_keys.sql
SELECT COUNT(*) - COUNT(DISTINCT ("conversion_id"))
FROM "_loaders_stage_loadid"
