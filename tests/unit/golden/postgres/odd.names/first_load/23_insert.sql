-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "select"."ta""ble; drop" ("user ""id""", "order", "ts; DROP TABLE x --", "value", "dt")
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
