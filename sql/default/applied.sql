SELECT partition_key, url, version
FROM {{ manifests_table|ident }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
