-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step merge_insert, template shipped sql/snowflake/merge_insert.sql
-- Merge, second half: insert each staged row whose key the target no longer holds (new,
-- or deleted just above). A key whose target row is newer kept that row, so an older
-- version delivered late never overwrites a newer one.
INSERT INTO "RAW"."CONVERSIONS" ("CONVERSION_ID", "EVENT_TS", "VALUE", "DT", "HOUR")
SELECT "S"."CONVERSION_ID", "S"."EVENT_TS", "S"."VALUE", "S"."DT", "S"."HOUR"
FROM (
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
WHERE NOT EXISTS (
    SELECT 1 FROM "RAW"."CONVERSIONS" AS t
    WHERE
        t."CONVERSION_ID" IS NOT DISTINCT FROM s."CONVERSION_ID"
)
