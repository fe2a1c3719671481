{% if format == "parquet" %}
SELECT file_name, num_rows
FROM parquet_file_metadata([{{ files|lits }}])
{% else %}
SELECT {{ file_column|ident }}, COUNT(*)
FROM {{ stage|ident }}
GROUP BY {{ file_column|ident }}
{% endif %}
