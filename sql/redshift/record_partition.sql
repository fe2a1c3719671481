-- The partition's totals joined in from the manifests it has (Redshift restricts
-- correlated subqueries, so not one per SET column as in sql/default).
UPDATE {{ partitions_table|ident }}
SET
    status = 'loaded',
    rows_loaded = m.total_rows,
    manifests = m.total_manifests,
    attempts = 0,
    last_error = NULL,
    load_id = {{ load_id|lit }},
    loaded_at = {{ now|timestamp }},
    updated_at = {{ now|timestamp }}
FROM (
    SELECT dataset AS m_dataset, partition_key AS m_key, SUM(rows_loaded) AS total_rows, COUNT(*) AS total_manifests
    FROM {{ manifests_table|ident }}
    WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
    GROUP BY dataset, partition_key
) AS m
WHERE dataset = m.m_dataset AND partition_key = m.m_key
