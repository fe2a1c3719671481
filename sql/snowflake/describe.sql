-- The columns of the unit's files, as Snowflake itself reads them. FILES takes at most
-- 1,000 names (https://docs.snowflake.com/en/sql-reference/functions/infer_schema): the
-- sink asks once per 1,000 files and unions the answers. The stage reference was checked
-- by the sink when the configuration was read.
SELECT column_name, type
FROM TABLE(
    INFER_SCHEMA(
        LOCATION => {{ stage_ref|lit }},
        FILE_FORMAT => {{ file_format|ident|lit }},
        FILES => ({{ files|lits }})
    )
)
ORDER BY order_id
