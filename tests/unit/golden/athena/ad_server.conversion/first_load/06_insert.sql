-- loaders compile: sink athena (athena), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "raw"."conversions" ("conversion_id", "event_ts", "value", "dt", "hour", "_loaders_manifest")
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
