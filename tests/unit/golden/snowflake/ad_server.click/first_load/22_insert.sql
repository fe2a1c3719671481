-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "RAW"."CLICKS" ("VALUE", "DT")
SELECT "VALUE", "DT"
FROM "_LOADERS"."_LOADERS_STAGE_LOADID"
