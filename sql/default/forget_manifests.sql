DELETE FROM {{ manifests_table|ident }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
{% if forget_urls is not none %}
    AND url IN ({{ forget_urls|lits }})
{% endif %}
