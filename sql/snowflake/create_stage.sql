{#- The staging table of this attempt, beside the state tables, named for the load id.
    TRANSIENT: rows that live for minutes need no Fail-safe copy. Column types come from
    INFER_SCHEMA; the sink checks each is a bare type name before it is rendered here. -#}
CREATE TRANSIENT TABLE {{ stage|ident }} (
{% for name, type in stage_columns %}
    {{ name|ident }} {{ type }}{{ "," if not loop.last }}
{% endfor %}
)
