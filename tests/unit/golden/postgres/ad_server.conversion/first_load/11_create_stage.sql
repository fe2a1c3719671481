-- loaders compile: sink postgres (postgres), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_stage, template shipped sql/postgres/create_stage.sql
CREATE TEMP TABLE "_loaders_stage_loadid" (
    "conversion_id" VARCHAR,
    "event_ts" VARCHAR,
    "value" VARCHAR,
    "dt" TEXT,
    "hour" TEXT
)
