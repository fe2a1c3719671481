{#- The declared types, as the table was created with them (SQLite keeps a type name as
    written, whatever affinity it gives the column). -#}
SELECT name, type
FROM PRAGMA_TABLE_INFO({{ target_name|lit }}, {{ target_schema|lit }})
ORDER BY cid
