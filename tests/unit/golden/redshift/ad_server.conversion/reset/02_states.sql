-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step states, template shipped sql/default/states.sql
SELECT dataset, partition_key, status, rows_loaded, manifests, attempts, last_error, load_id, loaded_at, updated_at
FROM "_loaders"."partitions"
WHERE dataset = 'ad_server.conversion'
    AND partition_key IN ('dt=2026-01-01/hour=00')
ORDER BY dataset, partition_key
