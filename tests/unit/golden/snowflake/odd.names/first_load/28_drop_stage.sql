-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step drop_stage, template shipped sql/default/drop_stage.sql
DROP TABLE IF EXISTS "_LOADERS"."_LOADERS_STAGE_LOADID"
