-- Append made repeatable: the rows of the manifests about to be inserted are deleted
-- first. They are there only if a load inserted them and crashed before recording them,
-- so the insert that follows never duplicates a row.
DELETE FROM {{ target|ident }}
WHERE {{ manifest_column|ident }} IN ({{ manifest_ids|lits }}) AND (
{% for partition in partitions %}
    {{ "OR " if not loop.first }}({% for name, value in partition %}{{ " AND " if not loop.first }}{{ name|ident }} = {{ value|lit }}{% endfor %})
{% endfor %}
)
