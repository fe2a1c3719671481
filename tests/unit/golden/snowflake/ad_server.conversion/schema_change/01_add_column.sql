-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step add_column, template shipped sql/default/add_column.sql
ALTER TABLE "RAW"."CONVERSIONS" ADD COLUMN IF NOT EXISTS "NEW_COLUMN" VARCHAR
