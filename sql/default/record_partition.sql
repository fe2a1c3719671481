UPDATE {{ partitions_table|ident }} AS p
SET
    status = 'loaded',
    rows_loaded = (
        SELECT COALESCE(SUM(m.rows_loaded), 0) FROM {{ manifests_table|ident }} AS m
        WHERE m.dataset = p.dataset AND m.partition_key = p.partition_key
    ),
    manifests = (
        SELECT COUNT(*) FROM {{ manifests_table|ident }} AS m
        WHERE m.dataset = p.dataset AND m.partition_key = p.partition_key
    ),
    attempts = 0,
    last_error = NULL,
    load_id = {{ load_id|lit }},
    loaded_at = {{ now|timestamp }},
    updated_at = {{ now|timestamp }}
WHERE p.dataset = {{ dataset|lit }} AND p.partition_key IN ({{ partition_keys|lits }})
