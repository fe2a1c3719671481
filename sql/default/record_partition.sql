UPDATE {{ partitions_table|ident }}
SET
    status = 'loaded',
    rows_loaded = (
        SELECT COALESCE(SUM(m.rows_loaded), 0) FROM {{ manifests_table|ident }} AS m
        WHERE m.dataset = {{ dataset|lit }} AND m.partition_key = {{ partition_key|lit }}
    ),
    manifests = (
        SELECT COUNT(*) FROM {{ manifests_table|ident }} AS m
        WHERE m.dataset = {{ dataset|lit }} AND m.partition_key = {{ partition_key|lit }}
    ),
    last_error = NULL,
    load_id = {{ load_id|lit }},
    loaded_at = CAST({{ now|lit }} AS TIMESTAMP),
    updated_at = CAST({{ now|lit }} AS TIMESTAMP)
WHERE dataset = {{ dataset|lit }} AND partition_key = {{ partition_key|lit }}
