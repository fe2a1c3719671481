SELECT table_name
FROM information_schema.tables
WHERE table_schema = {{ state_schema|fold|lit }} AND table_name IN ('PARTITIONS', 'MANIFESTS', 'SCHEMAS')
