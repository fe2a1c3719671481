-- Before a merge, in one aggregate of the stage: whether any key repeats (when none does,
-- the merge reads the stage as it is instead of ranking every row to de-duplicate it),
-- and how many rows have NULL in each key column, which the loader refuses
-- (NullKeyError). GROUP BY puts all rows with a NULL in one key column into groups of
-- their own, which the sums count.
SELECT
    COALESCE(MAX(per_key.n), 0) > 1,
{% for key in keys %}
    COALESCE(SUM(CASE WHEN per_key.{{ key|ident }} IS NULL THEN per_key.n ELSE 0 END), 0){{ "," if not loop.last }}
{% endfor %}
FROM (
    SELECT {{ keys|idents }}, COUNT(*) AS n
    FROM {{ stage|ident }}
    GROUP BY {{ keys|idents }}
) AS per_key
