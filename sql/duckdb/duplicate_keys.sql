SELECT COUNT(*) - COUNT(DISTINCT ({{ keys|idents }}))
FROM {{ stage|ident }}
