-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_schema, template shipped sql/default/create_schema.sql
CREATE SCHEMA IF NOT EXISTS "RAW"
