{#- SQLite has no MERGE: the upsert is an UPDATE of the rows whose key is there, then an
    INSERT of the others (merge_insert.sql), in the load's transaction. A target row is
    replaced only by a row at least as new, so an older version delivered late never
    overwrites a newer one; no staged key is NULL (the loader refuses such rows). -#}
UPDATE {{ target|ident }} AS t
SET
{% for column in columns %}
    {{ column|ident }} = s.{{ column|ident }}{{ "," if not loop.last }}
{% endfor %}
FROM (
{% filter indent(4, first=true) %}{% include "_source.sql" %}{% endfilter %}
) AS s
WHERE {% for key in keys %}{{ " AND " if not loop.first }}t.{{ key|ident }} = s.{{ key|ident }}{% endfor %}
    AND (t.{{ order_by|ident }} IS NULL OR s.{{ order_by|ident }} >= t.{{ order_by|ident }})
