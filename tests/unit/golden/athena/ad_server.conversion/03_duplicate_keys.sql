-- loaders compile: sink athena (athena), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step duplicate_keys, template shipped sql/athena/duplicate_keys.sql
-- Before a merge, in one scan of the staging table: how many rows have NULL in each key
-- column, which the loader refuses (NullKeyError); the first column (whether any key
-- repeats) is always true, as this sink always de-duplicates per partition.
SELECT
    TRUE,
    COUNT(*) - COUNT("conversion_id")
FROM "raw"."_loaders_stage_loadid"
