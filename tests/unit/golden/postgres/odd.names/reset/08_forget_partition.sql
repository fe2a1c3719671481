-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step forget_partition, template shipped sql/default/forget_partition.sql
-- `loaders reset --forget-manifests`, after forget_manifests: the partition's state row
-- goes too, so the next run sees it as never loaded and loads every manifest it has.
-- The rows in the target table are not touched here.
DELETE FROM "_loaders"."partitions"
WHERE dataset = 'odd.names' AND partition_key IN ('dt=2026-01-01')
