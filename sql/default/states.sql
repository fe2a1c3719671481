SELECT dataset, partition_key, status, rows_loaded, manifests, attempts, last_error, load_id, loaded_at, updated_at
FROM {{ partitions_table|ident }}
{% if dataset is not none %}
WHERE dataset = {{ dataset|lit }}
{% if partition_keys %}
    AND partition_key IN ({{ partition_keys|lits }})
{% endif %}
{% endif %}
ORDER BY dataset, partition_key
