-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step use_schema, template shipped sql/snowflake/use_schema.sql
-- CREATE SCHEMA makes the new schema the session's current one; this puts back the
-- schema of the sink's URL, which unqualified names (the stage, a one-part table) mean.
USE SCHEMA "ANALYTICS"."RAW"
