{#- How many values each text column of the stage holds. DuckDB sniffs a CSV column
    that is empty in every row as VARCHAR; such a column is all NULL and fits any column
    of the target, as it does on the sinks that read CSV with pyarrow (Arrow's null type). -#}
SELECT
{% for name in text_columns %}
    COUNT({{ name|ident }}){{ "," if not loop.last }}
{% endfor %}
FROM {{ stage|ident }}
