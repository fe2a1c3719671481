-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step window_state, template shipped sql/default/window_state.sql
-- Everything the planner needs to know about a window, in one query: each partition's
-- last attempt (status, failed attempts since the last success, error, when) and the
-- manifest versions applied to it.
SELECT p.partition_key, p.status, p.last_error, p.attempts, p.updated_at, m.url, m.version
FROM "_loaders"."partitions" AS p
LEFT JOIN "_loaders"."manifests" AS m
    ON m.dataset = p.dataset AND m.partition_key = p.partition_key
WHERE p.dataset = 'ad_server.conversion' AND p.partition_key IN ('dt=2026-01-01/hour=00')
