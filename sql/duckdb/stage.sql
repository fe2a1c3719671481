{#- Parquet is staged as a view: DuckDB reads it once, straight into the target, and row
    counts come from the files' footers. CSV and JSON lines are parsed once into a
    temporary table, which the counts and the apply step then read. -#}
CREATE TEMP {{ "VIEW" if format == "parquet" else "TABLE" }} {{ stage|ident }} AS
{% for part in parts %}
{{ "UNION ALL BY NAME" if not loop.first }}
SELECT
    *{% for name, value in part.fill %},
    {{ value|lit }} AS {{ name|ident }}{% endfor %}

FROM {% with files = part.files %}{% include "_reader.sql" %}{% endwith %}

{% endfor %}
