-- UPDATE ... FROM an aggregate rather than correlated subqueries in SET, which Snowflake
-- does not evaluate in every form.
UPDATE {{ partitions_table|ident }} AS p
SET
    status = 'loaded',
    rows_loaded = m.rows_loaded,
    manifests = m.manifests,
    attempts = 0,
    last_error = NULL,
    load_id = {{ load_id|lit }},
    loaded_at = {{ now|timestamp }},
    updated_at = {{ now|timestamp }}
FROM (
    SELECT dataset, partition_key, SUM(rows_loaded) AS rows_loaded, COUNT(*) AS manifests
    FROM {{ manifests_table|ident }}
    WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
    GROUP BY dataset, partition_key
) AS m
WHERE p.dataset = m.dataset AND p.partition_key = m.partition_key
