-- loaders compile: sink athena (athena), dataset odd.names, partition dt=2026-01-01
-- step clear_failure, template shipped sql/default/clear_failure.sql
-- A successful attempt that changed nothing (every manifest was applied already), or
-- `loaders reset`: the partition's last attempt is no longer failed. Its data and its
-- applied manifests stay as they are.
UPDATE "_loaders"."partitions"
SET
    status = 'loaded',
    attempts = 0,
    last_error = NULL,
    updated_at = CAST('<now>' AS TIMESTAMP)
WHERE dataset = 'odd.names' AND partition_key IN ('dt=2026-01-01') AND status = 'failed'
