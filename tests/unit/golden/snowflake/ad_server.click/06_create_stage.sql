-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step create_stage, template shipped sql/snowflake/create_stage.sql
CREATE TRANSIENT TABLE "_LOADERS"."_LOADERS_STAGE_LOADID" (
    "VALUE" DECIMAL(12, 2),
    "DT" VARCHAR,
    "_LOADERS_PARTITION" VARCHAR
)
