{#- The table function reading the unit's files. Hive partitioning is off on purpose:
    partition values come from the partition itself, as text, the same in every sink.
    CSV columns the dataset declares (`columns`) are read as declared, not sniffed.

    Strict, so a malformed file is refused whole, never half-read, and read as every sink
    reads it (the sinks reading files with pyarrow use this same reader for JSON lines and
    for DuckDB's sniffer of CSV types; see sinks/staging/):
    - CSV: the dialect is fixed, not sniffed (a sniffer that cannot parse a file as `,` and
      `"` picks another quote or delimiter and reads one column named `a,b,c`); `"` is
      doubled inside quotes; no comment lines (the sniffer would drop rows starting with
      `#`), no skipped lines (it would drop a junk first line); a row with more or fewer
      fields than the header, an unterminated quote, or bytes that are not UTF-8 are
      errors naming the line (strict_mode, no null_padding, ignore_errors off).
    - JSON lines: every line must be one object (records); an array or a scalar is an
      error naming the line, a `null` line is refused by not_objects.sql; every line is
      read for the columns (sample_size = -1), so a key first seen after DuckDB's
      20,480-line sample is a column, not silently dropped. Once described, the stage
      reads them as described (json_columns), so the files are not sampled twice. -#}
{% if format == "parquet" %}
read_parquet([{{ files|lits }}], hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }})
{%- elif format == "csv" %}
read_csv([{{ files|lits }}], header = true, delim = ',', quote = '"', escape = '"', comment = '', skip = 0, strict_mode = true, null_padding = false, ignore_errors = false, hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }}
{%- if column_types %}, types = { {%- for name, type in column_types %}{{ name|lit }}: {{ type|lit }}{{ ", " if not loop.last }}{% endfor -%} }{% endif %})
{%- elif format == "jsonl" %}
read_json([{{ files|lits }}], format = 'newline_delimited', records = 'true',
{%- if json_columns is defined and json_columns %} columns = { {%- for name, type in json_columns %}{{ name|lit }}: {{ type|lit }}{{ ", " if not loop.last }}{% endfor -%} }
{%- else %} sample_size = -1{% endif %}, hive_partitioning = false, union_by_name = true, filename = {{ file_column|lit }})
{%- endif %}
