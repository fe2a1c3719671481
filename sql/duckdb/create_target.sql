{#- The target takes the stage's column types. A column null in every row (Parquet's or
    Arrow's null type, a JSON key only ever null) has DuckDB's type "NULL", which no table
    column can have: it is created as text, as every other sink creates it, and a later
    load with values of another type is checked against that. -#}
CREATE TABLE IF NOT EXISTS {{ target|ident }} AS
{% if untyped %}
SELECT * REPLACE ({% for name in untyped %}CAST({{ name|ident }} AS {{ text_type|sqltype }}) AS {{ name|ident }}{{ ", " if not loop.last }}{% endfor %})
FROM (SELECT {{ columns|idents }} FROM {{ stage|ident }}) AS s
{% else %}
SELECT {{ columns|idents }}
FROM {{ stage|ident }}
{% endif %}
LIMIT 0
