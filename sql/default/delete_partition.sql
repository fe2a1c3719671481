DELETE FROM {{ target|ident }}
WHERE
{% for partition in partitions %}
    {{ "OR " if not loop.first }}({% for name, value in partition %}{{ " AND " if not loop.first }}{{ name|ident }} = {{ value|lit }}{% endfor %})
{% endfor %}
