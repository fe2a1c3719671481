-- No INSERT ... ON CONFLICT, and primary keys are not enforced: under the lock, each
-- partition's state row is added only where it is missing.
INSERT INTO {{ partitions_table|ident }} (dataset, partition_key, status, attempts, updated_at)
SELECT k.dataset, k.partition_key, 'loading', 0, {{ now|timestamp }}
FROM (
{% for key in partition_keys %}
    SELECT {{ dataset|lit }} AS dataset, {{ key|lit }} AS partition_key{{ " UNION ALL" if not loop.last }}
{% endfor %}
) AS k
WHERE NOT EXISTS (
    SELECT 1 FROM {{ partitions_table|ident }} AS p
    WHERE p.dataset = k.dataset AND p.partition_key = k.partition_key
)
