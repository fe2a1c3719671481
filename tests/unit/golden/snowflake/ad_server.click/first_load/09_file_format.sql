-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step file_format, template shipped sql/snowflake/file_format.sql
CREATE FILE FORMAT IF NOT EXISTS "_LOADERS"."LOADERS_CSV"
    TYPE = CSV
    PARSE_HEADER = TRUE
    FIELD_OPTIONALLY_ENCLOSED_BY = '"'
    NULL_IF = ('')
    ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE
