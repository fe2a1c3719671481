{#- A first load creates the target with the staged columns and their types (the file
    column stays behind). It runs only after the target was found missing under the load's
    lock, so it needs no IF NOT EXISTS (which Redshift's CREATE TABLE AS does not have). -#}
CREATE TABLE {{ target|ident }} AS
SELECT {{ columns|idents }}
FROM {{ stage|ident }}
LIMIT 0
