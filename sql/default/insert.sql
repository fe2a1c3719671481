INSERT INTO {{ target|ident }} ({{ columns|idents }})
SELECT {{ columns|idents }}
FROM {{ stage|ident }}
