-- Runs in its own transaction after the load rolled back: the data and the applied
-- manifests are untouched; only the status, the attempt count and the error change.
-- The count is of failures in a row: after a success (or a row written by a version
-- that counted every attempt and kept the count) this failure is the first.
INSERT INTO {{ partitions_table|ident }} AS p (dataset, partition_key, status, attempts, last_error, load_id, updated_at)
VALUES (
    {{ dataset|lit }}, {{ partition_key|lit }}, 'failed', 1, {{ error|lit }}, {{ load_id|lit }},
    {{ now|timestamp }}
)
ON CONFLICT (dataset, partition_key) DO UPDATE
SET
    status = 'failed',
    attempts = CASE WHEN p.status = 'failed' THEN p.attempts + 1 ELSE 1 END,
    last_error = EXCLUDED.last_error,
    load_id = EXCLUDED.load_id,
    updated_at = EXCLUDED.updated_at
