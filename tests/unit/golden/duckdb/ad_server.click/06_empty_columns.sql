-- loaders compile: sink duckdb (duckdb), dataset ad_server.click, partition dt=2026-01-01
-- step empty_columns, template shipped sql/duckdb/empty_columns.sql
SELECT
    COUNT("value")
FROM "_loaders_stage_loadid"
