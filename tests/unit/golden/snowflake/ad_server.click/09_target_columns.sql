-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step target_columns, template shipped sql/snowflake/target_columns.sql
-- A three-part table name lives in another database: that database's information schema.
SELECT column_name, data_type
FROM information_schema.columns
WHERE
    table_schema = 'RAW'
    AND table_name = 'CLICKS'
ORDER BY ordinal_position
