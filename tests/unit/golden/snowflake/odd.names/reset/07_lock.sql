-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step lock, template shipped sql/snowflake/lock.sql
-- Snowflake locks for UPDATE, DELETE and MERGE, not for INSERT, and holds the lock until
-- COMMIT (https://docs.snowflake.com/en/sql-reference/transactions): this UPDATE of the
-- partitions' state rows is what makes a concurrent load of them wait. lock_insert.sql
-- then adds the rows of partitions never seen before.
UPDATE "_LOADERS"."PARTITIONS"
SET attempts = attempts + 1, updated_at = CAST('<now>' AS TIMESTAMP)
WHERE dataset = 'odd.names' AND partition_key IN ('dt=2026-01-01')
