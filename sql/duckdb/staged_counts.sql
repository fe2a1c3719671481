SELECT {{ file_column|ident }}, COUNT(*)
FROM {{ stage|ident }}
GROUP BY {{ file_column|ident }}
