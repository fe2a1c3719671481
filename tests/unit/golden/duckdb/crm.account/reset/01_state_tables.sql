-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step state_tables, template shipped sql/duckdb/state_tables.sql
SELECT table_name
FROM duckdb_tables()
WHERE schema_name = '_loaders' AND table_name IN ('partitions', 'manifests', 'schemas')
