-- Before a merge, in one scan of the stage: whether any key repeats (when none does, the
-- merge reads the stage as it is instead of ranking every row to de-duplicate it), and
-- how many rows have NULL in each key column, which the loader refuses (NullKeyError).
SELECT
    COUNT(*) - COUNT(DISTINCT ({{ keys|idents }})) > 0,
{% for key in keys %}
    COUNT(*) - COUNT({{ key|ident }}){{ "," if not loop.last }}
{% endfor %}
FROM {{ stage|ident }}
