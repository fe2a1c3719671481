{#- A first load creates the target with the staged columns and their types, spelled as
    the stage has them: CREATE TABLE ... AS SELECT would keep only each column's affinity
    (INT, REAL, TEXT, NUM), and the next load compares types by name. -#}
CREATE TABLE {{ target|ident }} (
{% for name, type in stage_columns if name in columns %}
    {{ name|ident }} {{ text_type if name in untyped else type }}{{ "," if not loop.last }}
{% endfor %}
)
