-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step forget_manifests, template shipped sql/default/forget_manifests.sql
DELETE FROM "_loaders"."manifests"
WHERE dataset = 'odd.names' AND partition_key IN ('dt=2026-01-01')
