-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step merge_insert, template shipped sql/snowflake/merge_insert.sql
-- Merge, second half: insert each staged row whose key the target no longer holds (new,
-- or deleted just above). A key whose target row is newer kept that row, so an older
-- version delivered late never overwrites a newer one.
INSERT INTO "SELECT"."TA""BLE; DROP" ("USER ""ID""", "ORDER", "TS; DROP TABLE X --", "VALUE", "DT")
SELECT "S"."USER ""ID""", "S"."ORDER", "S"."TS; DROP TABLE X --", "S"."VALUE", "S"."DT"
FROM (
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
WHERE NOT EXISTS (
    SELECT 1 FROM "SELECT"."TA""BLE; DROP" AS t
    WHERE
        t."USER ""ID""" IS NOT DISTINCT FROM s."USER ""ID"""
        AND t."ORDER" IS NOT DISTINCT FROM s."ORDER"
)
