-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step migrate_keys, template shipped sql/default/migrate_keys.sql
UPDATE "_LOADERS"."MANIFESTS"
SET url = SUBSTRING(url, 11, LENGTH(url))
WHERE dataset = 'ad_server.conversion' AND SUBSTRING(url, 1, 10) = 's3://lake/'
