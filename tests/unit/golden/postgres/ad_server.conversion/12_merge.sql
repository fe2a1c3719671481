-- loaders compile: sink postgres (postgres), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
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
MERGE INTO "raw"."conversions" AS t
USING (
    SELECT "conversion_id", "event_ts", "value", "dt", "hour"
    FROM (
        SELECT
            "conversion_id", "event_ts", "value", "dt", "hour",
            ROW_NUMBER() OVER (
                PARTITION BY "conversion_id"
                ORDER BY "event_ts" DESC NULLS LAST
            ) AS _loaders_rank
        FROM "_loaders_stage_loadid"
    ) AS ranked
    WHERE _loaders_rank = 1
) AS s
ON t."conversion_id" = s."conversion_id"
WHEN MATCHED AND (t."event_ts" IS NULL OR s."event_ts" >= t."event_ts") THEN UPDATE SET
    "conversion_id" = s."conversion_id",
    "event_ts" = s."event_ts",
    "value" = s."value",
    "dt" = s."dt",
    "hour" = s."hour"
WHEN NOT MATCHED THEN INSERT ("conversion_id", "event_ts", "value", "dt", "hour")
VALUES ("s"."conversion_id", "s"."event_ts", "s"."value", "s"."dt", "s"."hour")
