-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step merge, template shipped sql/postgres/merge.sql
-- Upsert on the keys, as sql/default/merge.sql, with one difference: keys are compared
-- with =, not IS NOT DISTINCT FROM, which PostgreSQL can only join with a nested loop
-- (a 5,000-row merge into 200,000 rows ran past 20 s; with = it hashes, 50,000 rows in
-- 0.1 s). They give the same result here: a NULL key, which = would never match (so a
-- re-merge would insert its row again), never reaches a merge; the loader refuses such
-- rows before anything is applied (NullKeyError).
-- The source is de-duplicated first (latest order_by per key), because MERGE with
-- duplicate source keys is an error; a target row is replaced only by a row at least as
-- new, so an older version delivered late never overwrites a newer one.
MERGE INTO "select"."ta""ble; drop" AS t
USING (
    SELECT "user ""id""", "order", "ts; DROP TABLE x --", "value", "dt"
    FROM (
        SELECT
            "user ""id""", "order", "ts; DROP TABLE x --", "value", "dt",
            ROW_NUMBER() OVER (
                PARTITION BY "user ""id""", "order"
                ORDER BY "ts; DROP TABLE x --" DESC NULLS LAST
            ) AS _loaders_rank
        FROM "_loaders_stage_loadid"
    ) AS ranked
    WHERE _loaders_rank = 1
) AS s
ON t."user ""id""" = s."user ""id""" AND t."order" = s."order"
WHEN MATCHED AND (t."ts; DROP TABLE x --" IS NULL OR s."ts; DROP TABLE x --" >= t."ts; DROP TABLE x --") THEN UPDATE SET
    "user ""id""" = s."user ""id""",
    "order" = s."order",
    "ts; DROP TABLE x --" = s."ts; DROP TABLE x --",
    "value" = s."value",
    "dt" = s."dt"
WHEN NOT MATCHED THEN INSERT ("user ""id""", "order", "ts; DROP TABLE x --", "value", "dt")
VALUES ("s"."user ""id""", "s"."order", "s"."ts; DROP TABLE x --", "s"."value", "s"."dt")
