-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step delete_partition, template shipped sql/default/delete_partition.sql
DELETE FROM "accounts"
WHERE
    ("dt" = '2026-01-01')
