-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step rollback, template shipped sql/default/rollback.sql
ROLLBACK
