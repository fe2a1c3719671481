{#- As sql/default/add_column.sql, with the type as staged (a checked type name): the
    sqltype filter would respell it in SQLite's words (BIGINT as INTEGER), and the next
    load would compare its BIGINT with that. SQLite has no ADD COLUMN IF NOT EXISTS, and
    needs none: loads of one folder take turns. -#}
ALTER TABLE {{ target|ident }} ADD COLUMN {{ column|ident }} {{ column_type }}
