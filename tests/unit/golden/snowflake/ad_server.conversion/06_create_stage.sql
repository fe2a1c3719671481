-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_stage, template shipped sql/snowflake/create_stage.sql
CREATE TRANSIENT TABLE "_LOADERS"."_LOADERS_STAGE_LOADID" (
    "CONVERSION_ID" VARCHAR,
    "EVENT_TS" VARCHAR,
    "VALUE" VARCHAR,
    "DT" VARCHAR,
    "HOUR" VARCHAR,
    "_LOADERS_PARTITION" VARCHAR
)
