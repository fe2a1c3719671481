{#- Schema evolution: a column that newer data brings. Rows loaded before read NULL.
    Loads of other partitions may bring the same column at the same time: on PostgreSQL
    the second ALTER waits for the first to commit, then IF NOT EXISTS adds nothing
    instead of failing. Redshift has no IF NOT EXISTS here, and needs none: its loads are
    serialised by the LOCK of the state tables taken first. -#}
ALTER TABLE {{ target|ident }} ADD COLUMN {{ "IF NOT EXISTS " if dialect in ("postgres", "duckdb") }}{{ column|ident }} {{ column_type|sqltype }}
