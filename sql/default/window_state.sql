-- Everything the planner needs to know about a window, in one query: each partition's
-- last attempt (status, failed attempts since the last success, error, when) and the
-- manifest versions applied to it.
SELECT p.partition_key, p.status, p.last_error, p.attempts, p.updated_at, m.url, m.version
FROM {{ partitions_table|ident }} AS p
LEFT JOIN {{ manifests_table|ident }} AS m
    ON m.dataset = p.dataset AND m.partition_key = p.partition_key
WHERE p.dataset = {{ dataset|lit }} AND p.partition_key IN ({{ partition_keys|lits }})
