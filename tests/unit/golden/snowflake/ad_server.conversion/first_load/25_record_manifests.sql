-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step record_manifests, template shipped sql/default/record_manifests.sql
INSERT INTO "_LOADERS"."MANIFESTS" (dataset, partition_key, url, version, rows_loaded, load_id, applied_at)
VALUES
    ('ad_server.conversion', 'dt=2026-01-01/hour=00', 'sample/ad_server.conversion/dt=2026-01-01/hour=00/sample.json', '<version>', 0, '<load_id>', CAST('<now>' AS TIMESTAMP))
