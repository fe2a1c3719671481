-- Merge, second half: insert each staged row whose key the target no longer holds (new,
-- or deleted just above). A key whose target row is newer kept that row, so an older
-- version delivered late never overwrites a newer one.
INSERT INTO {{ target|ident }} ({{ columns|idents }})
SELECT {{ columns|idents("s") }}
FROM (
{% filter indent(4, first=true) %}{% include "_source.sql" %}{% endfilter %}
) AS s
WHERE NOT EXISTS (
    SELECT 1 FROM {{ target|ident }} AS t
    WHERE
{% for key in keys %}
        {{ "AND " if not loop.first }}t.{{ key|ident }} IS NOT DISTINCT FROM s.{{ key|ident }}
{% endfor %}
)
