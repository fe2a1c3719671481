-- Redshift's MERGE takes a table as its source and no condition on WHEN MATCHED, so the
-- upsert is a delete and an insert in the load's transaction. First the delete: every
-- target row for which a staged row of its key is at least as new. Any staged row will do
-- (the newest is at least as new as any), so this needs no de-duplication. Keys compare
-- with = so the join hashes: no staged key is NULL (the loader refuses such rows before a
-- merge: NullKeyError), so IS NOT DISTINCT FROM would give the same result, slower.
DELETE FROM {{ target|ident }}
USING {{ stage|ident }} AS staged
WHERE
    ({{ target_name|ident }}.{{ order_by|ident }} IS NULL OR staged.{{ order_by|ident }} >= {{ target_name|ident }}.{{ order_by|ident }})
{% for key in keys %}
    AND {{ target_name|ident }}.{{ key|ident }} = staged.{{ key|ident }}
{% endfor %}
