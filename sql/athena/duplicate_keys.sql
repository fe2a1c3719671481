-- Before a merge, in one scan of the staging table: how many rows have NULL in each key
-- column, which the loader refuses (NullKeyError); the first column (whether any key
-- repeats) is always true, as this sink always de-duplicates per partition.
SELECT
    TRUE,
{% for key in keys %}
    COUNT(*) - COUNT({{ key|ident }}){{ "," if not loop.last }}
{% endfor %}
FROM {{ stage_table|ident }}
