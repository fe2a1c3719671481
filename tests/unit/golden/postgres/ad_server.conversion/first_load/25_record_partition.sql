-- loaders compile: sink postgres (postgres), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step record_partition, template shipped sql/default/record_partition.sql
UPDATE "_loaders"."partitions" AS p
SET
    status = 'loaded',
    rows_loaded = (
        SELECT COALESCE(SUM(m.rows_loaded), 0) FROM "_loaders"."manifests" AS m
        WHERE m.dataset = p.dataset AND m.partition_key = p.partition_key
    ),
    manifests = (
        SELECT COUNT(*) FROM "_loaders"."manifests" AS m
        WHERE m.dataset = p.dataset AND m.partition_key = p.partition_key
    ),
    attempts = 0,
    last_error = NULL,
    load_id = '<load_id>',
    loaded_at = CAST('<now>' AS TIMESTAMP),
    updated_at = CAST('<now>' AS TIMESTAMP)
WHERE p.dataset = 'ad_server.conversion' AND p.partition_key IN ('dt=2026-01-01/hour=00')
