-- `loaders reset --forget-manifests`, after forget_manifests: the partition's state row
-- goes too, so the next run sees it as never loaded and loads every manifest it has.
-- The rows in the target table are not touched here.
DELETE FROM {{ partitions_table|ident }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
