-- loaders compile: sink redshift (redshift), dataset ad_server.click, partition dt=2026-01-01
-- step migrate_keys, template shipped sql/default/migrate_keys.sql
UPDATE "_loaders"."manifests"
SET url = SUBSTRING(url, 11, LENGTH(url))
WHERE dataset = 'ad_server.click' AND SUBSTRING(url, 1, 10) = 's3://lake/'
