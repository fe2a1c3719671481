-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step file_format, template shipped sql/snowflake/file_format.sql
CREATE FILE FORMAT IF NOT EXISTS "_LOADERS"."LOADERS_PARQUET"
    TYPE = PARQUET
