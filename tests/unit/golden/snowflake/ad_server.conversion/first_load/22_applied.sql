-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step applied, template shipped sql/default/applied.sql
SELECT partition_key, url, version
FROM "_LOADERS"."MANIFESTS"
WHERE dataset = 'ad_server.conversion' AND partition_key IN ('dt=2026-01-01/hour=00')
