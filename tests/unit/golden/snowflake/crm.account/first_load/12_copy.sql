-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step copy, template shipped sql/snowflake/copy.sql
-- FORCE = TRUE: the load state, not Snowflake's load metadata, decides what is loaded.
-- That metadata, kept per table, makes COPY skip a file it loaded in the last 64 days and
-- leaves older ones uncertain (https://docs.snowflake.com/en/user-guide/data-load-considerations-load).
-- Staging is a new table each attempt, so today nothing would be skipped; FORCE keeps it
-- so when a table is reused (a project's own template, a retry under the same load id).
-- FILES takes at most 1,000 names per statement: the sink sends one COPY per 1,000 files.
-- ON_ERROR = ABORT_STATEMENT: one bad row fails the load; the error names file, line, column.
COPY INTO "_LOADERS"."_LOADERS_STAGE_LOADID"
FROM @lake_stage
FILES = ('sample/crm.account/dt=2026-01-01/part-0.jsonl')
FILE_FORMAT = (FORMAT_NAME = '"_LOADERS"."LOADERS_JSONL"')
MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE
FORCE = TRUE
ON_ERROR = ABORT_STATEMENT
