-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step record_partition, template shipped sql/snowflake/record_partition.sql
-- UPDATE ... FROM an aggregate rather than correlated subqueries in SET, which Snowflake
-- does not evaluate in every form.
UPDATE "_LOADERS"."PARTITIONS" AS p
SET
    status = 'loaded',
    rows_loaded = m.rows_loaded,
    manifests = m.manifests,
    attempts = 0,
    last_error = NULL,
    load_id = '<load_id>',
    loaded_at = CAST('<now>' AS TIMESTAMP),
    updated_at = CAST('<now>' AS TIMESTAMP)
FROM (
    SELECT dataset, partition_key, SUM(rows_loaded) AS rows_loaded, COUNT(*) AS manifests
    FROM "_LOADERS"."MANIFESTS"
    WHERE dataset = 'ad_server.click' AND partition_key IN ('dt=2026-01-01')
    GROUP BY dataset, partition_key
) AS m
WHERE p.dataset = m.dataset AND p.partition_key = m.partition_key
