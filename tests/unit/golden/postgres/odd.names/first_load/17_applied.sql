-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step applied, template shipped sql/default/applied.sql
SELECT partition_key, url, version
FROM "_loaders"."manifests"
WHERE dataset = 'odd.names' AND partition_key IN ('dt=2026-01-01')
