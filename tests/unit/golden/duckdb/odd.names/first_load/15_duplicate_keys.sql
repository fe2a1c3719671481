-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step duplicate_keys, template shipped sql/duckdb/duplicate_keys.sql
SELECT COUNT(*) - COUNT(DISTINCT ("user ""id""", "order"))
FROM "_loaders_stage_loadid"
