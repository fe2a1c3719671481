-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step fill_partition, template shipped sql/snowflake/fill_partition.sql
-- Partition values the files do not carry, set on the rows this partition's COPY has just
-- added: they are still NULL there, while partitions copied before already have theirs.
UPDATE "_LOADERS"."_LOADERS_STAGE_LOADID"
SET "DT" = '2026-01-01', "HOUR" = '00'
WHERE "DT" IS NULL
