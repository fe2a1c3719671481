-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step duplicate_keys, template shipped sql/default/duplicate_keys.sql
-- Before a merge, in one aggregate of the stage: whether any key repeats (when none does,
-- the merge reads the stage as it is instead of ranking every row to de-duplicate it),
-- and how many rows have NULL in each key column, which the loader refuses
-- (NullKeyError). GROUP BY puts all rows with a NULL in one key column into groups of
-- their own, which the sums count.
SELECT
    COALESCE(MAX(per_key.n), 0) > 1,
    COALESCE(SUM(CASE WHEN per_key."user ""id""" IS NULL THEN per_key.n ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN per_key."order" IS NULL THEN per_key.n ELSE 0 END), 0)
FROM (
    SELECT "user ""id""", "order", COUNT(*) AS n
    FROM "_loaders_stage_loadid"
    GROUP BY "user ""id""", "order"
) AS per_key
