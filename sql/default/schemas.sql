{#- Each dataset's writer-schema fingerprints, first seen first (`loaders schemas list`). -#}
SELECT dataset, fingerprint, MIN(partition_key), MIN(load_id), MIN(first_loaded_at)
FROM {{ schemas_table|ident }}
{% if dataset is not none %}
WHERE dataset = {{ dataset|lit }}
{% endif %}
GROUP BY dataset, fingerprint
ORDER BY dataset, MIN(first_loaded_at), fingerprint
