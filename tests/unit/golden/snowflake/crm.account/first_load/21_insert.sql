-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "ACCOUNTS" ("VALUE", "DT")
SELECT "VALUE", "DT"
FROM "_LOADERS"."_LOADERS_STAGE_LOADID"
