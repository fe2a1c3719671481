-- loaders compile: sink snowflake (snowflake), dataset crm.account, partition dt=2026-01-01
-- step lock_insert, template shipped sql/snowflake/lock_insert.sql
-- State rows for partitions never seen before, added under the lock lock.sql took: a
-- concurrent load waits at that UPDATE, then sees this row once it is committed, so no
-- partition gets two rows although Snowflake does not enforce primary keys.
INSERT INTO "_LOADERS"."PARTITIONS" (dataset, partition_key, status, attempts, updated_at)
SELECT 'crm.account', k.partition_key, 'loading', 1, CAST('<now>' AS TIMESTAMP)
FROM (
    VALUES
        ('dt=2026-01-01')
) AS k (partition_key)
WHERE NOT EXISTS (
    SELECT 1 FROM "_LOADERS"."PARTITIONS" AS p
    WHERE p.dataset = 'crm.account' AND p.partition_key = k.partition_key
)
