DELETE FROM {{ target|ident }}
WHERE {% for name, value in partition %}{% if not loop.first %} AND {% endif %}{{ name|ident }} = {{ value|lit }}{% endfor %}

