-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step forget_partition, template shipped sql/default/forget_partition.sql
-- `loaders reset --forget-manifests`, after forget_manifests: the partition's state row
-- goes too, so the next run sees it as never loaded and loads every manifest it has.
-- The rows in the target table are not touched here.
DELETE FROM "_LOADERS"."PARTITIONS"
WHERE dataset = 'ad_server.conversion' AND partition_key IN ('dt=2026-01-01/hour=00')
