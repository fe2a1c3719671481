SELECT url, version
FROM {{ manifests_table|ident }}
WHERE dataset = {{ dataset|lit }} AND partition_key = {{ partition_key|lit }}
