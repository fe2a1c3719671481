-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step applied, template shipped sql/default/applied.sql
SELECT partition_key, url, version
FROM "_LOADERS"."MANIFESTS"
WHERE dataset = 'crm.account' AND partition_key IN ('dt=2026-01-01')
