-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step record_failure, template shipped sql/default/record_failure.sql
-- Runs in its own transaction after the load rolled back: the data and the applied
-- manifests are untouched; only the status, the attempt count and the error change.
-- The count is of failures in a row: after a success (or a row written by a version
-- that counted every attempt and kept the count) this failure is the first.
INSERT INTO "_loaders"."partitions" AS p (dataset, partition_key, status, attempts, last_error, load_id, updated_at)
VALUES (
    'odd.names', 'dt=2026-01-01', 'failed', 1, 'RuntimeError: <error>', '<load_id>',
    CAST('<now>' AS TIMESTAMP)
)
ON CONFLICT (dataset, partition_key) DO UPDATE
SET
    status = 'failed',
    attempts = CASE WHEN p.status = 'failed' THEN p.attempts + 1 ELSE 1 END,
    last_error = EXCLUDED.last_error,
    load_id = EXCLUDED.load_id,
    updated_at = EXCLUDED.updated_at
