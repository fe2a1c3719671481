SELECT table_name
FROM information_schema.tables
WHERE table_schema = {{ state_schema|lit }} AND table_name IN ('partitions', 'manifests', 'schemas')
