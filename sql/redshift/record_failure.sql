-- After claim_partitions, under the lock, in a transaction of its own: the data and the
-- applied manifests are untouched; only the status, the attempt count and the error change.
UPDATE {{ partitions_table|ident }}
SET
    status = 'failed',
    attempts = attempts + 1,
    last_error = {{ error|lit }},
    load_id = {{ load_id|lit }},
    updated_at = CAST({{ now|lit }} AS TIMESTAMP)
WHERE dataset = {{ dataset|lit }} AND partition_key = {{ partition_key|lit }}
