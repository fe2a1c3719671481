{#- The attempt's staging table, TEMP: private to this connection and gone with it. Its
    columns are the files' then the partition columns they lack, typed from the files'
    Arrow schema (checked type names, never input). -#}
CREATE TEMP TABLE {{ stage|ident }} (
{% for name, type in stage_columns %}
    {{ name|ident }} {{ type }}{{ "," if not loop.last }}
{% endfor %}
)
