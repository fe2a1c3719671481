-- loaders compile: sink athena (athena), dataset odd.names, partition dt=2026-01-01
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "select"."ta""ble; drop" ("user ""id""", "order", "ts; DROP TABLE x --", "value", "dt", "_loaders_manifest")
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
