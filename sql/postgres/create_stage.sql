{#- The attempt's staging table, TEMP: private to this session and gone with it if the
    loader dies. Its columns are the files', in the files' order (Redshift's COPY matches
    Parquet columns by position), then the partition columns the files do not carry
    (PostgreSQL streams their values with each row; Redshift adds them after its COPY).
    Once the target exists, a column of the target's takes the target's type, read from
    the target itself (CREATE ... AS over zero rows of it), so values are parsed as what
    they will be stored as; a column the target lacks yet (the load adds it) takes its
    mapped type. On a first load the types
    are mapped from the files' Arrow schema: checked type names, never input. -#}
{% if like_target %}
CREATE TEMP TABLE {{ stage|ident }} AS
SELECT
{% for name, known, type in like_columns %}
{% if known %}
    t.{{ known|ident }} AS {{ name|ident }}{{ "," if not loop.last }}
{% else %}
    CAST(NULL AS {{ type|sqltype }}) AS {{ name|ident }}{{ "," if not loop.last }}
{% endif %}
{% endfor %}
FROM {{ target|ident }} AS t
LIMIT 0
{% else %}
CREATE TEMP TABLE {{ stage|ident }} (
{% for name, type in stage_columns %}
    {{ name|ident }} {{ type }}{{ "," if not loop.last }}
{% endfor %}
)
{% endif %}
