-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step file_format, template shipped sql/snowflake/file_format.sql
CREATE FILE FORMAT IF NOT EXISTS "_LOADERS"."LOADERS_JSONL"
    TYPE = JSON
