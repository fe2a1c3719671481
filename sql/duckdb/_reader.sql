{#- The table function reading the unit's files. Hive partitioning is off on purpose:
    partition values come from the partition itself, as text, the same in every sink.
    CSV columns the dataset declares (`columns`) are read as declared, not sniffed. -#}
{% if format == "parquet" %}
read_parquet([{{ files|lits }}], hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }})
{%- elif format == "csv" %}
read_csv([{{ files|lits }}], header = true, hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }}
{%- if column_types %}, types = { {%- for name, type in column_types %}{{ name|lit }}: {{ type|lit }}{{ ", " if not loop.last }}{% endfor -%} }{% endif %})
{%- elif format == "jsonl" %}
read_json([{{ files|lits }}], format = 'newline_delimited', hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }})
{%- endif %}
