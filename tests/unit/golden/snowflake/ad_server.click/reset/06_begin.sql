-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step begin, template shipped sql/default/begin.sql
BEGIN TRANSACTION
