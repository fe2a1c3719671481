-- loaders compile: sink redshift (redshift), dataset ad_server.click, partition dt=2026-01-01
-- step record_failure, template shipped sql/redshift/record_failure.sql
-- After claim_partitions, under the lock, in a transaction of its own: the data and the
-- applied manifests are untouched; only the status, the attempt count and the error change.
-- The count is of failures in a row: after a success (or a row written by a version
-- that counted every attempt and kept the count) this failure is the first.
UPDATE "_loaders"."partitions"
SET
    status = 'failed',
    attempts = CASE WHEN status = 'failed' THEN attempts + 1 ELSE 1 END,
    last_error = 'RuntimeError: <error>',
    load_id = '<load_id>',
    updated_at = CAST('<now>' AS TIMESTAMP)
WHERE dataset = 'ad_server.click' AND partition_key = 'dt=2026-01-01'
