-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step applied, template shipped sql/default/applied.sql
-- The manifest versions applied to these partitions, and (url NULL) those of them whose
-- last attempt failed: a load that finds nothing to apply clears such a failure, and
-- only then writes anything.
SELECT partition_key, url, version
FROM "_LOADERS"."MANIFESTS"
WHERE dataset = 'ad_server.conversion' AND partition_key IN ('dt=2026-01-01/hour=00')
UNION ALL
SELECT partition_key, NULL, NULL
FROM "_LOADERS"."PARTITIONS"
WHERE dataset = 'ad_server.conversion' AND partition_key IN ('dt=2026-01-01/hour=00') AND status = 'failed'
