-- Upsert on the keys, as sql/default/merge.sql, with one difference: keys are compared
-- with =, not IS NOT DISTINCT FROM, which PostgreSQL can only join with a nested loop
-- (a 5,000-row merge into 200,000 rows ran past 20 s; with = it hashes, 50,000 rows in
-- 0.1 s). They give the same result here: a NULL key, which = would never match (so a
-- re-merge would insert its row again), never reaches a merge; the loader refuses such
-- rows before anything is applied (NullKeyError).
-- The source is de-duplicated first (latest order_by per key), because MERGE with
-- duplicate source keys is an error; a target row is replaced only by a row at least as
-- new, so an older version delivered late never overwrites a newer one.
MERGE INTO {{ target|ident }} AS t
USING (
{% filter indent(4, first=true) %}{% include "_source.sql" %}{% endfilter %}
) AS s
ON {% for key in keys %}{% if not loop.first %} AND {% endif %}t.{{ key|ident }} = s.{{ key|ident }}{% endfor %}

WHEN MATCHED AND (t.{{ order_by|ident }} IS NULL OR s.{{ order_by|ident }} >= t.{{ order_by|ident }}) THEN UPDATE SET
{% for column in columns %}
    {{ column|ident }} = s.{{ column|ident }}{{ "," if not loop.last }}
{% endfor %}
WHEN NOT MATCHED THEN INSERT ({{ columns|idents }})
VALUES ({{ columns|idents("s") }})
