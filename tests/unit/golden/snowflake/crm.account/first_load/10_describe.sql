-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step describe, template shipped sql/snowflake/describe.sql
-- The columns of the unit's files, as Snowflake itself reads them. FILES takes at most
-- 1,000 names (https://docs.snowflake.com/en/sql-reference/functions/infer_schema): the
-- sink asks once per 1,000 files and unions the answers. The stage reference was checked
-- by the sink when the configuration was read.
SELECT column_name, type
FROM TABLE(
    INFER_SCHEMA(
        LOCATION => '@lake_stage',
        FILE_FORMAT => '"_LOADERS"."LOADERS_JSONL"',
        FILES => ('sample/crm.account/dt=2026-01-01/part-0.jsonl')
    )
)
ORDER BY order_id
