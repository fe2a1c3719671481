SELECT dataset, partition_key, status, rows_loaded, manifests, attempts, last_error, load_id, loaded_at
FROM {{ partitions_table|ident }}
{% if dataset is not none %}
WHERE dataset = {{ dataset|lit }}
{% endif %}
ORDER BY dataset, partition_key
