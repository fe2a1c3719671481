{#- Each JSON-lines file's keys, as written, in one scan of the files: a merge checks that
    every file has the keys and order_by itself (the reader unites the files' columns). -#}
SELECT filename, LIST(DISTINCT json_key)
FROM (
    SELECT filename, UNNEST(JSON_KEYS(json)) AS json_key
    FROM READ_NDJSON_OBJECTS([{{ files|lits }}], filename = true)
    WHERE JSON_TYPE(json) = 'OBJECT'
)
GROUP BY filename
