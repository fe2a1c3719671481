-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step create_target, template shipped sql/snowflake/create_target.sql
-- Runs while staging, before BEGIN: Snowflake commits an open transaction before DDL
-- (https://docs.snowflake.com/en/sql-reference/transactions), which would split the load.
CREATE TABLE IF NOT EXISTS "SELECT"."TA""BLE; DROP" AS
SELECT "USER ""ID""", "ORDER", "TS; DROP TABLE X --", "VALUE", "DT"
FROM "_LOADERS"."_LOADERS_STAGE_LOADID"
LIMIT 0
