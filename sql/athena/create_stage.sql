-- The unit's rows, written as Parquet under a prefix of this attempt (with partition
-- values and _loaders_manifest), read through an external table.
CREATE EXTERNAL TABLE IF NOT EXISTS {{ stage_table|ddl_ident }} (
{% for name, type in typed_columns %}
    {{ name|ddl_ident }} {{ type|column_type }}{{ "," if not loop.last }}
{% endfor %}
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION {{ stage_location|lit }}
