-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step forget_manifests, template shipped sql/default/forget_manifests.sql
DELETE FROM "_LOADERS"."MANIFESTS"
WHERE dataset = 'ad_server.conversion' AND partition_key IN ('dt=2026-01-01/hour=00')
