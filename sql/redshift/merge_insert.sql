-- Then the newest staged row of every key the target no longer has (deleted just now, or
-- new); a key whose target row is newer kept it and inserts nothing. Keys compare with =,
-- as in merge_delete: no staged key is NULL.
INSERT INTO {{ target|ident }} ({{ columns|idents }})
SELECT {{ columns|idents("s") }}
FROM (
{% filter indent(4, first=true) %}{% include "_source.sql" %}{% endfilter %}
) AS s
WHERE NOT EXISTS (
    SELECT 1 FROM {{ target|ident }} AS t
    WHERE {% for key in keys %}{{ " AND " if not loop.first }}t.{{ key|ident }} = s.{{ key|ident }}{% endfor %}

)
