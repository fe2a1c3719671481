SELECT name
FROM {{ state_schema|ident }}.sqlite_master
WHERE type = 'table' AND name IN ('partitions', 'manifests', 'schemas')
