SELECT table_name
FROM duckdb_tables()
WHERE schema_name = {{ state_schema|lit }} AND table_name IN ('partitions', 'manifests', 'schemas')
