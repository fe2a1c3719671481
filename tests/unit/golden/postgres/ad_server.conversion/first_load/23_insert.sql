-- loaders compile: sink postgres (postgres), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "raw"."conversions" ("conversion_id", "event_ts", "value", "dt", "hour")
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
