-- The target's columns and their full types, as fits() compares them: INFORMATION_SCHEMA
-- gives NUMBER without its precision and scale, and TEXT without its length, in columns
-- of their own (https://docs.snowflake.com/en/sql-reference/info-schema/columns).
-- A three-part table name lives in another database: that database's information schema.
SELECT
    column_name,
    CASE
        WHEN data_type = 'NUMBER' THEN 'NUMBER(' || numeric_precision || ', ' || numeric_scale || ')'
        WHEN data_type = 'TEXT' AND character_maximum_length IS NOT NULL
            THEN 'VARCHAR(' || character_maximum_length || ')'
        ELSE data_type
    END AS data_type
FROM {{ (target[0], "information_schema", "columns")|ident if target|length == 3 else "information_schema.columns" }}
WHERE
    table_schema = {{ target_schema|fold|lit if target_schema_path else "CURRENT_SCHEMA()" }}
    AND table_name = {{ target_name|fold|lit }}
ORDER BY ordinal_position
