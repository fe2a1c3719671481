-- After claim_partitions, under the lock, in a transaction of its own: the data and the
-- applied manifests are untouched; only the status, the attempt count and the error change.
-- The count is of failures in a row: after a success (or a row written by a version
-- that counted every attempt and kept the count) this failure is the first.
UPDATE {{ partitions_table|ident }}
SET
    status = 'failed',
    attempts = CASE WHEN status = 'failed' THEN attempts + 1 ELSE 1 END,
    last_error = {{ error|lit }},
    load_id = {{ load_id|lit }},
    updated_at = {{ now|timestamp }}
WHERE dataset = {{ dataset|lit }} AND partition_key = {{ partition_key|lit }}
