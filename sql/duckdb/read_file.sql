{#- A file's rows as the DuckDB sink reads them, for the sinks that read files with
    pyarrow: JSON lines, and DuckDB's sniff of a CSV's types (sinks/staging/csv_files.py). -#}
SELECT * EXCLUDE ({{ file_column|ident }})
FROM {% include "_reader.sql" %}
