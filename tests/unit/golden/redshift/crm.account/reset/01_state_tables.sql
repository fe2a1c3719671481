-- loaders compile: sink redshift (redshift), dataset crm.account, partition dt=2026-01-01
-- step state_tables, template shipped sql/default/state_tables.sql
SELECT table_name
FROM information_schema.tables
WHERE table_schema = '_loaders' AND table_name IN ('partitions', 'manifests', 'schemas')
