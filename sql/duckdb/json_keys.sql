{#- Every key the JSON-lines files' objects use, as written: the reader renames a key it
    sees in two cases (`A` beside `a` becomes `A_1`); asked only when a column's name
    looks renamed. -#}
SELECT DISTINCT UNNEST(JSON_KEYS(json))
FROM READ_NDJSON_OBJECTS([{{ files|lits }}])
WHERE JSON_TYPE(json) = 'OBJECT'
