-- loaders compile: sink athena (athena), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step merge, template shipped sql/athena/merge.sql
-- Upsert on the keys within each partition (as Hive tables of this sink merge), the
-- source de-duplicated first. A target row is replaced only by a row at least as new, so
-- an older version delivered late never wins, and running it again changes nothing:
-- a crash before the state is recorded is repaired by the next load running it again.
-- No staged key is NULL (the loader refuses such rows before a merge: NullKeyError), so
-- IS NOT DISTINCT FROM and = give the same result.
MERGE INTO "raw"."conversions" AS t
USING (
    SELECT "conversion_id", "event_ts", "value", "dt", "hour", "_loaders_manifest"
    FROM (
        SELECT
            "conversion_id", "event_ts", "value", "dt", "hour", "_loaders_manifest",
            ROW_NUMBER() OVER (
                PARTITION BY "conversion_id", "dt", "hour"
                ORDER BY "event_ts" DESC NULLS LAST
            ) AS _loaders_rank
        FROM "raw"."_loaders_stage_loadid"
        WHERE
            ("dt" = '2026-01-01' AND "hour" = '00')
    ) AS ranked
    WHERE _loaders_rank = 1
) AS s
ON t."conversion_id" IS NOT DISTINCT FROM s."conversion_id" AND t."dt" = s."dt" AND t."hour" = s."hour"
WHEN MATCHED AND (t."event_ts" IS NULL OR s."event_ts" >= t."event_ts") THEN UPDATE SET
    "conversion_id" = s."conversion_id",
    "event_ts" = s."event_ts",
    "value" = s."value",
    "_loaders_manifest" = s."_loaders_manifest"
WHEN NOT MATCHED THEN INSERT ("conversion_id", "event_ts", "value", "dt", "hour", "_loaders_manifest")
VALUES ("s"."conversion_id", "s"."event_ts", "s"."value", "s"."dt", "s"."hour", "s"."_loaders_manifest")
