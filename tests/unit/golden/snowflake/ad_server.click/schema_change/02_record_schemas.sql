-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step record_schemas, template shipped sql/default/record_schemas.sql
INSERT INTO "_LOADERS"."SCHEMAS" (dataset, fingerprint, partition_key, load_id, first_loaded_at)
SELECT s.dataset, s.fingerprint, s.partition_key, s.load_id, s.first_loaded_at
FROM (
    SELECT
        'ad_server.click' AS dataset,
        '<fingerprint>' AS fingerprint,
        'dt=2026-01-01' AS partition_key,
        '<load_id>' AS load_id,
        CAST('<now>' AS TIMESTAMP) AS first_loaded_at
) AS s
WHERE NOT EXISTS (
    SELECT 1 FROM "_LOADERS"."SCHEMAS" AS t
    WHERE t.dataset = s.dataset AND t.fingerprint = s.fingerprint
)
