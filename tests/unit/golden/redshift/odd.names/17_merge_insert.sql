-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step merge_insert, template shipped sql/redshift/merge_insert.sql
-- Then the newest staged row of every key the target no longer has (deleted just now, or
-- new); a key whose target row is newer kept it and inserts nothing. Keys compare with =,
-- as in merge_delete: no staged key is NULL.
INSERT INTO "select"."ta""ble; drop" ("user ""id""", "order", "ts; DROP TABLE x --", "value", "dt")
SELECT "s"."user ""id""", "s"."order", "s"."ts; DROP TABLE x --", "s"."value", "s"."dt"
FROM (
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
WHERE NOT EXISTS (
    SELECT 1 FROM "select"."ta""ble; drop" AS t
    WHERE t."user ""id""" = s."user ""id""" AND t."order" = s."order"
)
