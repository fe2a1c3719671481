-- A three-part table name lives in another database: that database's information schema.
SELECT column_name, data_type
FROM {{ (target[0], "information_schema", "columns")|ident if target|length == 3 else "information_schema.columns" }}
WHERE
    table_schema = {{ target_schema|fold|lit if target_schema_path else "CURRENT_SCHEMA()" }}
    AND table_name = {{ target_name|fold|lit }}
ORDER BY ordinal_position
