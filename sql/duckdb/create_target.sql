CREATE TABLE IF NOT EXISTS {{ target|ident }} AS
SELECT {{ columns|idents }}
FROM {{ stage|ident }}
LIMIT 0
