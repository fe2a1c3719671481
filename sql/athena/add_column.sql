{#- Schema evolution (Iceberg): a column that newer data brings, added after the existing
    ones; rows loaded before read NULL. Athena DDL is Hive syntax: ADD COLUMNS takes a list,
    identifiers are quoted with backticks, and the type passes the column_type filter. -#}
ALTER TABLE {{ target|ddl_ident }} ADD COLUMNS ({{ column|ddl_ident }} {{ column_type|column_type }})
