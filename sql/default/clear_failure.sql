-- A successful attempt that changed nothing (every manifest was applied already), or
-- `loaders reset`: the partition's last attempt is no longer failed. Its data and its
-- applied manifests stay as they are.
UPDATE {{ partitions_table|ident }}
SET
    status = 'loaded',
    attempts = 0,
    last_error = NULL,
    updated_at = {{ now|timestamp }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }}) AND status = 'failed'
