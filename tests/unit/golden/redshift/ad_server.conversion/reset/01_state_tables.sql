-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step state_tables, template shipped sql/default/state_tables.sql
SELECT table_name
FROM information_schema.tables
WHERE table_schema = '_loaders' AND table_name IN ('partitions', 'manifests', 'schemas')
