{#- One scan of every file, so DuckDB reads them in parallel. The partition's values are
    joined on by file name (one row per file, so the join never multiplies a row): they
    win over a column of the same name the files carry, which keeps its type (CAST), and
    are added as text where the files have no such column. Constant per file, and cheap
    to write. Parquet is staged as a view: DuckDB reads it once, straight into the
    target, and row counts come from the files' footers. CSV and JSON lines are parsed
    once into a temporary table, which the counts and the apply step then read. -#}
CREATE TEMP {{ "VIEW" if format == "parquet" else "TABLE" }} {{ stage|ident }} AS
{% if partition_names %}
SELECT
    r.*{% if carried_columns %} REPLACE ({% for name, key, type in carried_columns %}CAST(p.{{ key|ident }} AS {{ type|sqltype }}) AS {{ name|ident }}{{ ", " if not loop.last }}{% endfor %}){% endif %}{% for name in fill_columns %},
    p.{{ name|ident }}{% endfor %}

FROM {% include "_reader.sql" %} AS r
JOIN (
    VALUES
{% for row in partition_rows %}
        ({{ row|lits }}){{ "," if not loop.last }}
{% endfor %}
) AS p ({{ file_column|ident }}, {{ partition_names|idents }}) ON r.{{ file_column|ident }} = p.{{ file_column|ident }}
{% else %}
SELECT *
FROM {% include "_reader.sql" %}
{% endif %}
