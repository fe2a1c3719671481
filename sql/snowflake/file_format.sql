{#- The named file format COPY and INFER_SCHEMA share: INFER_SCHEMA accepts only a named
    one (https://docs.snowflake.com/en/sql-reference/functions/infer_schema). It lives in
    the state schema. CSV is read by its header (PARSE_HEADER), and a row may lack the
    partition columns the sink adds, hence ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE. An
    empty field is NULL whether quoted or not, as every other sink reads it: unquoted by
    EMPTY_FIELD_AS_NULL (the default), quoted ("") by NULL_IF = ('')
    (https://docs.snowflake.com/en/sql-reference/sql/create-file-format). -#}
CREATE FILE FORMAT IF NOT EXISTS {{ file_format|ident }}
{% if format == "parquet" %}
    TYPE = PARQUET
{% elif format == "csv" %}
    TYPE = CSV
    PARSE_HEADER = TRUE
    FIELD_OPTIONALLY_ENCLOSED_BY = '"'
    NULL_IF = ('')
    ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE
{% elif format == "jsonl" %}
    TYPE = JSON
{% endif %}
