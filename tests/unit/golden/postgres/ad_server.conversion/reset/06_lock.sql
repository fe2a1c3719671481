-- loaders compile: sink postgres (postgres), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step lock, template shipped sql/default/lock.sql
-- A write to each partition's state row takes its row lock: concurrent loads of the
-- same partition queue here, and the one that waited re-checks what the other applied.
INSERT INTO "_loaders"."partitions" AS p (dataset, partition_key, status, attempts, updated_at)
VALUES
    ('ad_server.conversion', 'dt=2026-01-01/hour=00', 'loading', 1, CAST('<now>' AS TIMESTAMP))
ON CONFLICT (dataset, partition_key) DO UPDATE
SET attempts = p.attempts + 1, updated_at = EXCLUDED.updated_at
