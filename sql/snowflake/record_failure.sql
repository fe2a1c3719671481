-- Runs on its own (autocommit) after the load rolled back: the data and the applied
-- manifests are untouched; only the status, the attempt count and the error change.
-- One MERGE, atomic and under the table's lock, so a new partition gets one row.
-- The count is of failures in a row: after a success (or a row written by a version
-- that counted every attempt and kept the count) this failure is the first.
MERGE INTO {{ partitions_table|ident }} AS p
USING (SELECT {{ dataset|lit }} AS dataset, {{ partition_key|lit }} AS partition_key) AS s
    ON p.dataset = s.dataset AND p.partition_key = s.partition_key
WHEN MATCHED THEN UPDATE SET
    status = 'failed',
    attempts = CASE WHEN p.status = 'failed' THEN p.attempts + 1 ELSE 1 END,
    last_error = {{ error|lit }},
    load_id = {{ load_id|lit }},
    updated_at = {{ now|timestamp }}
WHEN NOT MATCHED THEN INSERT (dataset, partition_key, status, attempts, last_error, load_id, updated_at)
VALUES (
    s.dataset, s.partition_key, 'failed', 1, {{ error|lit }}, {{ load_id|lit }}, {{ now|timestamp }}
)
