-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step record_partition, template shipped sql/redshift/record_partition.sql
-- The partition's totals joined in from the manifests it has (Redshift restricts
-- correlated subqueries, so not one per SET column as in sql/default).
UPDATE "_loaders"."partitions"
SET
    status = 'loaded',
    rows_loaded = m.total_rows,
    manifests = m.total_manifests,
    attempts = 0,
    last_error = NULL,
    load_id = '<load_id>',
    loaded_at = CAST('<now>' AS TIMESTAMP),
    updated_at = CAST('<now>' AS TIMESTAMP)
FROM (
    SELECT dataset AS m_dataset, partition_key AS m_key, SUM(rows_loaded) AS total_rows, COUNT(*) AS total_manifests
    FROM "_loaders"."manifests"
    WHERE dataset = 'odd.names' AND partition_key IN ('dt=2026-01-01')
    GROUP BY dataset, partition_key
) AS m
WHERE dataset = m.m_dataset AND partition_key = m.m_key
