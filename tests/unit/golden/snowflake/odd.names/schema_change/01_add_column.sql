-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step add_column, template shipped sql/default/add_column.sql
ALTER TABLE "SELECT"."TA""BLE; DROP" ADD COLUMN IF NOT EXISTS "NEW_COLUMN" VARCHAR
