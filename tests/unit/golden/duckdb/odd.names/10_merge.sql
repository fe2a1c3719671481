-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step merge, template shipped sql/default/merge.sql
-- Upsert on the keys. The source is de-duplicated first (latest order_by per key),
-- because MERGE with duplicate source keys is an error (Snowflake, PostgreSQL) or
-- silently non-deterministic (DuckDB); dedupe is false only when the sink has checked
-- that no key repeats. A target row is replaced only by a row at least
-- as new, so an older version delivered late never overwrites a newer one. No staged key
-- is NULL (the loader refuses such rows before a merge: NullKeyError), so comparing keys
-- with IS NOT DISTINCT FROM or with = gives the same result.
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
ON t."user ""id""" IS NOT DISTINCT FROM s."user ""id""" AND t."order" IS NOT DISTINCT FROM s."order"
WHEN MATCHED AND (t."ts; DROP TABLE x --" IS NULL OR s."ts; DROP TABLE x --" >= t."ts; DROP TABLE x --") THEN UPDATE SET
    "user ""id""" = s."user ""id""",
    "order" = s."order",
    "ts; DROP TABLE x --" = s."ts; DROP TABLE x --",
    "value" = s."value",
    "dt" = s."dt"
WHEN NOT MATCHED THEN INSERT ("user ""id""", "order", "ts; DROP TABLE x --", "value", "dt")
VALUES ("s"."user ""id""", "s"."order", "s"."ts; DROP TABLE x --", "s"."value", "s"."dt")
