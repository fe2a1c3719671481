-- loaders compile: sink postgres (postgres), dataset crm.account, partition dt=2026-01-01
-- step states, template shipped sql/default/states.sql
SELECT dataset, partition_key, status, rows_loaded, manifests, attempts, last_error, load_id, loaded_at, updated_at
FROM "_loaders"."partitions"
WHERE dataset = 'crm.account'
ORDER BY dataset, partition_key
