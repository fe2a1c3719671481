CREATE TEMP TABLE {{ stage|ident }} AS
SELECT
    *{% for name, value in partition_fill %},
    {{ value|lit }} AS {{ name|ident }}{% endfor %}

FROM {% include "_reader.sql" %}
