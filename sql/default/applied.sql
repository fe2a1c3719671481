-- Of these partitions: those whose last attempt failed (url NULL; a load that finds
-- nothing to apply clears such a failure, and only then writes anything), and the
-- manifest versions applied to them. The partitions table comes first, in the order a
-- load's lock takes the state tables: a reader holding the manifests table while waiting
-- for the partitions table would deadlock with a load that holds the one and locks the other.
SELECT partition_key, NULL, NULL
FROM {{ partitions_table|ident }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }}) AND status = 'failed'
UNION ALL
SELECT partition_key, url, version
FROM {{ manifests_table|ident }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
