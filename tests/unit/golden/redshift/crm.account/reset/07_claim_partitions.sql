-- loaders compile: sink redshift (redshift), dataset crm.account, partition dt=2026-01-01
-- step claim_partitions, template shipped sql/redshift/claim_partitions.sql
-- No INSERT ... ON CONFLICT, and primary keys are not enforced: under the lock, each
-- partition's state row is added only where it is missing.
INSERT INTO "_loaders"."partitions" (dataset, partition_key, status, attempts, updated_at)
SELECT k.dataset, k.partition_key, 'loading', 0, CAST('<now>' AS TIMESTAMP)
FROM (
    SELECT 'crm.account' AS dataset, 'dt=2026-01-01' AS partition_key
) AS k
WHERE NOT EXISTS (
    SELECT 1 FROM "_loaders"."partitions" AS p
    WHERE p.dataset = k.dataset AND p.partition_key = k.partition_key
)
