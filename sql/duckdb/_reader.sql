{#- The table function reading the unit's files. Hive partitioning is off on purpose:
    partition values come from the partition itself, as text, the same in every sink. -#}
{% if format == "parquet" %}
read_parquet([{{ files|lits }}], hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }})
{%- elif format == "csv" %}
read_csv([{{ files|lits }}], header = true, hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }})
{%- elif format == "jsonl" %}
read_json([{{ files|lits }}], format = 'newline_delimited', hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }})
{%- endif %}
