{#- The staged rows to apply: de-duplicated to the latest order_by per key when dedupe
    is set (merge), as they are otherwise. Included by insert.sql and merge.sql. -#}
{% if dedupe %}
SELECT {{ columns|idents }}
FROM (
    SELECT
        {{ columns|idents }},
        ROW_NUMBER() OVER (
            PARTITION BY {{ keys|idents }}
            ORDER BY {{ order_by|ident }} DESC NULLS LAST
        ) AS _loaders_rank
    FROM {{ stage|ident }}
) AS ranked
WHERE _loaders_rank = 1
{% else %}
SELECT {{ columns|idents }}
FROM {{ stage|ident }}
{% endif %}
