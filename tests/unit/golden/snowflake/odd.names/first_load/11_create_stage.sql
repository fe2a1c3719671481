-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step create_stage, template shipped sql/snowflake/create_stage.sql
CREATE TRANSIENT TABLE "_LOADERS"."_LOADERS_STAGE_LOADID" (
    "USER ""ID""" VARCHAR,
    "ORDER" VARCHAR,
    "TS; DROP TABLE X --" VARCHAR,
    "VALUE" VARCHAR,
    "DT" VARCHAR,
    "_LOADERS_PARTITION" VARCHAR
)
