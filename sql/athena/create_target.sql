-- An Iceberg table (Athena DDL: Hive syntax, backtick quoting) partitioned by the
-- dataset's partition columns; _loaders_manifest names the manifest version of each row.
CREATE TABLE IF NOT EXISTS {{ target|ddl_ident }} (
{% for name, type in typed_columns %}
    {{ name|ddl_ident }} {{ type|column_type }}{{ "," if not loop.last }}
{% endfor %}
)
PARTITIONED BY ({{ partition_columns|ddl_idents }})
LOCATION {{ target_location|lit }}
TBLPROPERTIES ('table_type' = 'ICEBERG')
