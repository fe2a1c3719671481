-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step target_columns, template shipped sql/default/target_columns.sql
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'raw' AND table_name = 'conversions'
ORDER BY ordinal_position
