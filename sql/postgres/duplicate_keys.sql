-- Whether any key repeats in the stage: when none does (the usual case), the insert or
-- merge reads the stage as it is instead of ranking every row to de-duplicate it.
SELECT EXISTS (
    SELECT 1
    FROM {{ stage|ident }}
    GROUP BY {{ keys|idents }}
    HAVING COUNT(*) > 1
)
