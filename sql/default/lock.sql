-- A write to the partition's state row takes its row lock: concurrent loads of the
-- same partition queue here, and the loser re-checks what the winner applied.
INSERT INTO {{ partitions_table|ident }} AS p (dataset, partition_key, status, attempts, updated_at)
VALUES ({{ dataset|lit }}, {{ partition_key|lit }}, 'loading', 1, CAST({{ now|lit }} AS TIMESTAMP))
ON CONFLICT (dataset, partition_key) DO UPDATE
SET attempts = p.attempts + 1, updated_at = EXCLUDED.updated_at
