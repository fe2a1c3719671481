-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step target_columns, template shipped sql/snowflake/target_columns.sql
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
FROM information_schema.columns
WHERE
    table_schema = 'SELECT'
    AND table_name = 'TA"BLE; DROP'
ORDER BY ordinal_position
