-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step create_stage, template shipped sql/snowflake/create_stage.sql
CREATE TRANSIENT TABLE "_LOADERS"."_LOADERS_STAGE_LOADID" (
    "VALUE" VARCHAR,
    "DT" VARCHAR,
    "_LOADERS_PARTITION" VARCHAR
)
