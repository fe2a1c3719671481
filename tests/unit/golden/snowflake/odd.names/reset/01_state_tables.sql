-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step state_tables, template shipped sql/snowflake/state_tables.sql
SELECT table_name
FROM information_schema.tables
WHERE table_schema = '_LOADERS' AND table_name IN ('PARTITIONS', 'MANIFESTS', 'SCHEMAS')
