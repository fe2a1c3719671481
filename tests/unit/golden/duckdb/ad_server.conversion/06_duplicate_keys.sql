-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step duplicate_keys, template shipped sql/duckdb/duplicate_keys.sql
-- Before a merge, in one scan of the stage: whether any key repeats (when none does, the
-- merge reads the stage as it is instead of ranking every row to de-duplicate it), and
-- how many rows have NULL in each key column, which the loader refuses (NullKeyError).
SELECT
    COUNT(*) - COUNT(DISTINCT ("conversion_id")) > 0,
    COUNT(*) - COUNT("conversion_id")
FROM "_loaders_stage_loadid"
