{#- One scan of every file, so DuckDB reads them in parallel. Partition values the files
    do not carry are joined on by file name: constant per file, and cheap to write.
    Parquet is staged as a view: DuckDB reads it once, straight into the target, and row
    counts come from the files' footers. CSV and JSON lines are parsed once into a
    temporary table, which the counts and the apply step then read. -#}
CREATE TEMP {{ "VIEW" if format == "parquet" else "TABLE" }} {{ stage|ident }} AS
SELECT *
FROM {% include "_reader.sql" %}
{% if fill_columns %}

JOIN (
    VALUES
{% for row in fill_rows %}
        ({{ row|lits }}){{ "," if not loop.last }}
{% endfor %}
) AS _loaders_fill ({{ file_column|ident }}, {{ fill_columns|idents }}) USING ({{ file_column|ident }})
{% endif %}
