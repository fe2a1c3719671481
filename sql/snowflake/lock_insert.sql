-- State rows for partitions never seen before, added under the lock lock.sql took: a
-- concurrent load waits at that UPDATE, then sees this row once it is committed, so no
-- partition gets two rows although Snowflake does not enforce primary keys.
INSERT INTO {{ partitions_table|ident }} (dataset, partition_key, status, attempts, updated_at)
SELECT {{ dataset|lit }}, k.partition_key, 'loading', 1, {{ now|timestamp }}
FROM (
    VALUES
{% for key in partition_keys %}
        ({{ key|lit }}){{ "," if not loop.last }}
{% endfor %}
) AS k (partition_key)
WHERE NOT EXISTS (
    SELECT 1 FROM {{ partitions_table|ident }} AS p
    WHERE p.dataset = {{ dataset|lit }} AND p.partition_key = k.partition_key
)
