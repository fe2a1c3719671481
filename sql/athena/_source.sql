{#- The staged rows of the partitions of this statement (at most 100: Athena's limit),
    de-duplicated to the latest order_by per key and partition when dedupe is set (merge:
    Athena's MERGE fails when a target row matches several source rows). Included by
    insert.sql and merge.sql. -#}
{% if dedupe %}
SELECT {{ columns|idents }}
FROM (
    SELECT
        {{ columns|idents }},
        ROW_NUMBER() OVER (
            PARTITION BY {{ keys|idents }}, {{ partition_columns|idents }}
            ORDER BY {{ order_by|ident }} DESC NULLS LAST
        ) AS _loaders_rank
    FROM {{ stage_table|ident }}
    WHERE
    {% for partition in partitions %}
        {{ "OR " if not loop.first }}({% for name, value in partition %}{{ " AND " if not loop.first }}{{ name|ident }} = {{ value|lit }}{% endfor %})
    {% endfor %}
) AS ranked
WHERE _loaders_rank = 1
{% else %}
SELECT {{ columns|idents }}
FROM {{ stage_table|ident }}
WHERE
{% for partition in partitions %}
    {{ "OR " if not loop.first }}({% for name, value in partition %}{{ " AND " if not loop.first }}{{ name|ident }} = {{ value|lit }}{% endfor %})
{% endfor %}
{% endif %}
