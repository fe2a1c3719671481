-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step fill_partition, template shipped sql/snowflake/fill_partition.sql
-- The partition's values, set on the rows this partition's COPY has just added: the only
-- rows not marked with their partition yet (those of partitions copied before are). They
-- win over a column of the same name the files carry, whose type the value then takes
-- (the loader checked that it can), so replace deletes exactly the rows it inserted.
UPDATE "_LOADERS"."_LOADERS_STAGE_LOADID"
SET
    "DT" = '2026-01-01',
    "_LOADERS_PARTITION" = 'dt=2026-01-01'
WHERE "_LOADERS_PARTITION" IS NULL
