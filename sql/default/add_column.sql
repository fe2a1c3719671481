{#- Schema evolution: a column that newer data brings. Rows loaded before read NULL. -#}
ALTER TABLE {{ target|ident }} ADD COLUMN {{ column|ident }} {{ column_type|sqltype }}
