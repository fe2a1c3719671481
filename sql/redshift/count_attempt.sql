UPDATE {{ partitions_table|ident }}
SET attempts = attempts + 1, updated_at = {{ now|timestamp }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
