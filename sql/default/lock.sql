-- A write to each partition's state row takes its row lock: concurrent loads of the
-- same partition queue here, and the one that waited re-checks what the other applied.
INSERT INTO {{ partitions_table|ident }} AS p (dataset, partition_key, status, attempts, updated_at)
VALUES
{% for key in partition_keys %}
    ({{ dataset|lit }}, {{ key|lit }}, 'loading', 1, {{ now|timestamp }}){{ "," if not loop.last }}
{% endfor %}
ON CONFLICT (dataset, partition_key) DO UPDATE
SET attempts = p.attempts + 1, updated_at = EXCLUDED.updated_at
