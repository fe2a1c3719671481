-- Snowflake locks for UPDATE, DELETE and MERGE, not for INSERT, and holds the lock until
-- COMMIT (https://docs.snowflake.com/en/sql-reference/transactions): this UPDATE of the
-- partitions' state rows is what makes a concurrent load of them wait. lock_insert.sql
-- then adds the rows of partitions never seen before.
UPDATE {{ partitions_table|ident }}
SET attempts = attempts + 1, updated_at = {{ now|timestamp }}
WHERE dataset = {{ dataset|lit }} AND partition_key IN ({{ partition_keys|lits }})
