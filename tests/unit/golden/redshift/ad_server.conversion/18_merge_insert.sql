-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step merge_insert, template shipped sql/redshift/merge_insert.sql
-- Then the newest staged row of every key the target no longer has (deleted just now, or
-- new); a key whose target row is newer kept it and inserts nothing. Keys compare with =,
-- as in merge_delete: no staged key is NULL.
INSERT INTO "raw"."conversions" ("conversion_id", "event_ts", "value", "dt", "hour")
SELECT "s"."conversion_id", "s"."event_ts", "s"."value", "s"."dt", "s"."hour"
FROM (
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
WHERE NOT EXISTS (
    SELECT 1 FROM "raw"."conversions" AS t
    WHERE t."conversion_id" = s."conversion_id"
)
