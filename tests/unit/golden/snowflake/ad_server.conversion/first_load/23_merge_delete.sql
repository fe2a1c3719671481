-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step merge_delete, template shipped sql/snowflake/merge_delete.sql
-- Merge, first half: delete each target row that a staged row at least as new replaces.
-- Merge is DELETE + INSERT rather than MERGE so that it runs inside the load transaction
-- on fakesnow too, which cannot run MERGE there; the two statements commit together.
-- The source is de-duplicated first (latest order_by per key), as MERGE would need.
-- No staged key is NULL (the loader refuses such rows before a merge: NullKeyError), so
-- IS NOT DISTINCT FROM and = give the same result.
DELETE FROM "RAW"."CONVERSIONS" AS t
USING (
    SELECT "CONVERSION_ID", "EVENT_TS", "VALUE", "DT", "HOUR"
    FROM (
        SELECT
            "CONVERSION_ID", "EVENT_TS", "VALUE", "DT", "HOUR",
            ROW_NUMBER() OVER (
                PARTITION BY "CONVERSION_ID"
                ORDER BY "EVENT_TS" DESC NULLS LAST
            ) AS _loaders_rank
        FROM "_LOADERS"."_LOADERS_STAGE_LOADID"
    ) AS ranked
    WHERE _loaders_rank = 1
) AS s
WHERE
    t."CONVERSION_ID" IS NOT DISTINCT FROM s."CONVERSION_ID"
    AND (t."EVENT_TS" IS NULL OR s."EVENT_TS" >= t."EVENT_TS")
