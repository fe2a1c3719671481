-- loaders compile: sink athena (athena), dataset odd.names, partition dt=2026-01-01
-- step merge, template shipped sql/athena/merge.sql
-- Upsert on the keys within each partition (as Hive tables of this sink merge), the
-- source de-duplicated first. A target row is replaced only by a row at least as new, so
-- an older version delivered late never wins, and running it again changes nothing:
-- a crash before the state is recorded is repaired by the next load running it again.
-- No staged key is NULL (the loader refuses such rows before a merge: NullKeyError), so
-- IS NOT DISTINCT FROM and = give the same result.
MERGE INTO "select"."ta""ble; drop" AS t
USING (
    SELECT "user ""id""", "order", "ts; DROP TABLE x --", "value", "dt", "_loaders_manifest"
    FROM (
        SELECT
            "user ""id""", "order", "ts; DROP TABLE x --", "value", "dt", "_loaders_manifest",
            ROW_NUMBER() OVER (
                PARTITION BY "user ""id""", "order", "dt"
                ORDER BY "ts; DROP TABLE x --" DESC NULLS LAST
            ) AS _loaders_rank
        FROM "select"."_loaders_stage_loadid"
        WHERE
            ("dt" = '2026-01-01')
    ) AS ranked
    WHERE _loaders_rank = 1
) AS s
ON t."user ""id""" IS NOT DISTINCT FROM s."user ""id""" AND t."order" IS NOT DISTINCT FROM s."order" AND t."dt" = s."dt"
WHEN MATCHED AND (t."ts; DROP TABLE x --" IS NULL OR s."ts; DROP TABLE x --" >= t."ts; DROP TABLE x --") THEN UPDATE SET
    "user ""id""" = s."user ""id""",
    "order" = s."order",
    "ts; DROP TABLE x --" = s."ts; DROP TABLE x --",
    "value" = s."value",
    "_loaders_manifest" = s."_loaders_manifest"
WHEN NOT MATCHED THEN INSERT ("user ""id""", "order", "ts; DROP TABLE x --", "value", "dt", "_loaders_manifest")
VALUES ("s"."user ""id""", "s"."order", "s"."ts; DROP TABLE x --", "s"."value", "s"."dt", "s"."_loaders_manifest")
