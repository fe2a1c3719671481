{#- The second half of the merge (merge_update.sql): the staged rows whose key the target
    does not hold. -#}
INSERT INTO {{ target|ident }} ({{ columns|idents }})
SELECT {{ columns|idents("s") }}
FROM (
{% filter indent(4, first=true) %}{% include "_source.sql" %}{% endfilter %}
) AS s
WHERE NOT EXISTS (
    SELECT 1 FROM {{ target|ident }} AS t
    WHERE {% for key in keys %}{{ " AND " if not loop.first }}t.{{ key|ident }} = s.{{ key|ident }}{% endfor %}

)
