-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step merge_delete, template shipped sql/snowflake/merge_delete.sql
-- Merge, first half: delete each target row that a staged row at least as new replaces.
-- Merge is DELETE + INSERT rather than MERGE so that it runs inside the load transaction
-- on fakesnow too, which cannot run MERGE there; the two statements commit together.
-- The source is de-duplicated first (latest order_by per key), as MERGE would need.
-- No staged key is NULL (the loader refuses such rows before a merge: NullKeyError), so
-- IS NOT DISTINCT FROM and = give the same result.
DELETE FROM "SELECT"."TA""BLE; DROP" AS t
USING (
    SELECT "USER ""ID""", "ORDER", "TS; DROP TABLE X --", "VALUE", "DT"
    FROM (
        SELECT
            "USER ""ID""", "ORDER", "TS; DROP TABLE X --", "VALUE", "DT",
            ROW_NUMBER() OVER (
                PARTITION BY "USER ""ID""", "ORDER"
                ORDER BY "TS; DROP TABLE X --" DESC NULLS LAST
            ) AS _loaders_rank
        FROM "_LOADERS"."_LOADERS_STAGE_LOADID"
    ) AS ranked
    WHERE _loaders_rank = 1
) AS s
WHERE
    t."USER ""ID""" IS NOT DISTINCT FROM s."USER ""ID"""
    AND t."ORDER" IS NOT DISTINCT FROM s."ORDER"
    AND (t."TS; DROP TABLE X --" IS NULL OR s."TS; DROP TABLE X --" >= t."TS; DROP TABLE X --")
