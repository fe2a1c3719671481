-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step merge, template shipped sql/default/merge.sql
-- Upsert on the keys. The source is de-duplicated first (latest order_by per key),
-- because MERGE with duplicate source keys is an error (Snowflake, PostgreSQL) or
-- silently non-deterministic (DuckDB); dedupe is false only when the sink has checked
-- that no key repeats. A target row is replaced only by a row at least
-- as new, so an older version delivered late never overwrites a newer one. No staged key
-- is NULL (the loader refuses such rows before a merge: NullKeyError), so comparing keys
-- with IS NOT DISTINCT FROM or with = gives the same result.
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
ON t."conversion_id" IS NOT DISTINCT FROM s."conversion_id"
WHEN MATCHED AND (t."event_ts" IS NULL OR s."event_ts" >= t."event_ts") THEN UPDATE SET
    "conversion_id" = s."conversion_id",
    "event_ts" = s."event_ts",
    "value" = s."value",
    "dt" = s."dt",
    "hour" = s."hour"
WHEN NOT MATCHED THEN INSERT ("conversion_id", "event_ts", "value", "dt", "hour")
VALUES ("s"."conversion_id", "s"."event_ts", "s"."value", "s"."dt", "s"."hour")
