-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step duplicate_keys, template shipped sql/postgres/duplicate_keys.sql
-- Whether any key repeats in the stage: when none does (the usual case), the insert or
-- merge reads the stage as it is instead of ranking every row to de-duplicate it.
SELECT EXISTS (
    SELECT 1
    FROM "_loaders_stage_loadid"
    GROUP BY "conversion_id"
    HAVING COUNT(*) > 1
)
