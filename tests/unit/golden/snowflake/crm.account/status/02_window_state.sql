-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step window_state, template shipped sql/default/window_state.sql
-- Everything the planner needs to know about a window, in one query: each partition's
-- last attempt (status, failed attempts since the last success, error, when) and the
-- manifest versions applied to it.
SELECT p.partition_key, p.status, p.last_error, p.attempts, p.updated_at, m.url, m.version
FROM "_LOADERS"."PARTITIONS" AS p
LEFT JOIN "_LOADERS"."MANIFESTS" AS m
    ON m.dataset = p.dataset AND m.partition_key = p.partition_key
WHERE p.dataset = 'crm.account' AND p.partition_key IN ('dt=2026-01-01')
