-- Merge, first half: delete each target row that a staged row at least as new replaces.
-- Merge is DELETE + INSERT rather than MERGE so that it runs inside the load transaction
-- on fakesnow too, which cannot run MERGE there; the two statements commit together.
-- The source is de-duplicated first (latest order_by per key), as MERGE would need.
-- No staged key is NULL (the loader refuses such rows before a merge: NullKeyError), so
-- IS NOT DISTINCT FROM and = give the same result.
DELETE FROM {{ target|ident }} AS t
USING (
{% filter indent(4, first=true) %}{% include "_source.sql" %}{% endfilter %}
) AS s
WHERE
{% for key in keys %}
    {{ "AND " if not loop.first }}t.{{ key|ident }} IS NOT DISTINCT FROM s.{{ key|ident }}
{% endfor %}
    AND (t.{{ order_by|ident }} IS NULL OR s.{{ order_by|ident }} >= t.{{ order_by|ident }})
