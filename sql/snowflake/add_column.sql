{#- Schema evolution: a column that newer data brings, typed as INFER_SCHEMA reported it;
    rows loaded before read NULL. The sink runs it while staging, before BEGIN, because
    Snowflake commits an open transaction before any DDL
    (https://docs.snowflake.com/en/sql-reference/transactions). IF NOT EXISTS
    (https://docs.snowflake.com/en/sql-reference/sql/alter-table): a retry after a crash,
    or a concurrent load bringing the same column, adds nothing twice. -#}
ALTER TABLE {{ target|ident }} ADD COLUMN IF NOT EXISTS {{ column|ident }} {{ column_type|sqltype }}
