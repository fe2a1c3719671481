-- Upsert on the keys within each partition (as Hive tables of this sink merge), the
-- source de-duplicated first. A target row is replaced only by a row at least as new, so
-- an older version delivered late never wins, and running it again changes nothing:
-- a crash before the state is recorded is repaired by the next load running it again.
-- No staged key is NULL (the loader refuses such rows before a merge: NullKeyError), so
-- IS NOT DISTINCT FROM and = give the same result.
MERGE INTO {{ target|ident }} AS t
USING (
{% filter indent(4, first=true) %}{% include "_source.sql" %}{% endfilter %}
) AS s
ON {% for key in keys %}{% if not loop.first %} AND {% endif %}t.{{ key|ident }} IS NOT DISTINCT FROM s.{{ key|ident }}{% endfor %}{% for column in partition_columns %} AND t.{{ column|ident }} = s.{{ column|ident }}{% endfor %}

WHEN MATCHED AND (t.{{ order_by|ident }} IS NULL OR s.{{ order_by|ident }} >= t.{{ order_by|ident }}) THEN UPDATE SET
{% for column in columns if column not in partition_columns %}
    {{ column|ident }} = s.{{ column|ident }}{{ "," if not loop.last }}
{% endfor %}
WHEN NOT MATCHED THEN INSERT ({{ columns|idents }})
VALUES ({{ columns|idents("s") }})
