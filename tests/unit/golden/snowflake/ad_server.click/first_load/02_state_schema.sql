-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step state_schema, template shipped sql/default/state_schema.sql
CREATE SCHEMA IF NOT EXISTS "_LOADERS"
