{% if format == "parquet" %}
SELECT file_name, num_rows
FROM parquet_file_metadata([{{ files|lits }}])
{% else %}
{#- rows per file, and how many values each text column holds: DuckDB sniffs a CSV column
    empty in every row as VARCHAR; with no value it fits any column of the target, as it
    does on the sinks that read CSV with pyarrow (Arrow's null type) -#}
SELECT {{ file_column|ident }}, COUNT(*){% for name in text_columns %}, COUNT({{ name|ident }}){% endfor %}

FROM {{ stage|ident }}
GROUP BY {{ file_column|ident }}
{% endif %}
