-- Upsert on the keys. The source is de-duplicated first (latest order_by per key),
-- because MERGE with duplicate source keys is an error (Snowflake, PostgreSQL) or
-- silently non-deterministic (DuckDB); dedupe is false only when the sink has checked
-- that no key repeats. A target row is replaced only by a row at least
-- as new, so an older version delivered late never overwrites a newer one. No staged key
-- is NULL (the loader refuses such rows before a merge: NullKeyError), so comparing keys
-- with IS NOT DISTINCT FROM or with = gives the same result.
MERGE INTO {{ target|ident }} AS t
USING (
{% filter indent(4, first=true) %}{% include "_source.sql" %}{% endfilter %}
) AS s
ON {% for key in keys %}{% if not loop.first %} AND {% endif %}t.{{ key|ident }} IS NOT DISTINCT FROM s.{{ key|ident }}{% endfor %}

WHEN MATCHED AND (t.{{ order_by|ident }} IS NULL OR s.{{ order_by|ident }} >= t.{{ order_by|ident }}) THEN UPDATE SET
{% for column in columns %}
    {{ column|ident }} = s.{{ column|ident }}{{ "," if not loop.last }}
{% endfor %}
WHEN NOT MATCHED THEN INSERT ({{ columns|idents }})
VALUES ({{ columns|idents("s") }})
