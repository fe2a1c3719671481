-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step record_manifests, template shipped sql/default/record_manifests.sql
INSERT INTO "_loaders"."manifests" (dataset, partition_key, url, version, rows_loaded, load_id, applied_at)
VALUES
    ('crm.account', 'dt=2026-01-01', 'sample/crm.account/dt=2026-01-01/sample.json', '<version>', 0, '<load_id>', CAST('<now>' AS TIMESTAMP))
