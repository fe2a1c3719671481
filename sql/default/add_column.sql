{#- Schema evolution: a column that newer data brings. Rows loaded before read NULL.
    Loads of other partitions may bring the same column at the same time: on PostgreSQL
    the second ALTER waits for the first to commit, then IF NOT EXISTS adds nothing
    instead of failing; Snowflake runs it before BEGIN (DDL commits an open transaction),
    where IF NOT EXISTS also lets a retry after a crash add nothing twice
    (https://docs.snowflake.com/en/sql-reference/sql/alter-table). Redshift has no IF NOT
    EXISTS here, and needs none: its loads are serialised by the LOCK of the state tables. -#}
ALTER TABLE {{ target|ident }} ADD COLUMN {{ "IF NOT EXISTS " if dialect in ("postgres", "duckdb", "snowflake") }}{{ column|ident }} {{ column_type|sqltype }}
