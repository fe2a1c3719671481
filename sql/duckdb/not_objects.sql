{#- The JSON-lines files with lines that are not objects, and how many. The reader refuses
    an array or a scalar line itself, naming it, but reads a `null` line as a row of
    NULLs, as it reads `{}`; this finds it. Run after the files parsed, so every line is
    valid JSON. -#}
SELECT filename, COUNT(*)
FROM READ_NDJSON_OBJECTS([{{ files|lits }}], filename = true)
WHERE JSON_TYPE(json) <> 'OBJECT'
GROUP BY filename
ORDER BY filename
