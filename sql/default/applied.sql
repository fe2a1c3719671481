-- The manifest versions applied to these partitions, and (url NULL) those of them whose
-- last attempt failed: a load that finds nothing to apply clears such a failure, and
-- only then writes anything.
SELECT partition_key, url, version
FROM {{ manifests_table|ident }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
UNION ALL
SELECT partition_key, NULL, NULL
FROM {{ partitions_table|ident }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }}) AND status = 'failed'
