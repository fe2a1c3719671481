-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step target_columns, template shipped sql/default/target_columns.sql
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'main' AND table_name = 'accounts'
ORDER BY ordinal_position
