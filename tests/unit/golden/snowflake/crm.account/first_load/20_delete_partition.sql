-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step delete_partition, template shipped sql/default/delete_partition.sql
DELETE FROM "ACCOUNTS"
WHERE
    ("DT" = '2026-01-01')
