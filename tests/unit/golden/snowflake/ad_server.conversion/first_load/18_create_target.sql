-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_target, template shipped sql/snowflake/create_target.sql
-- Runs while staging, before BEGIN: Snowflake commits an open transaction before DDL
-- (https://docs.snowflake.com/en/sql-reference/transactions), which would split the load.
CREATE TABLE IF NOT EXISTS "RAW"."CONVERSIONS" AS
SELECT "CONVERSION_ID", "EVENT_TS", "VALUE", "DT", "HOUR"
FROM "_LOADERS"."_LOADERS_STAGE_LOADID"
LIMIT 0
