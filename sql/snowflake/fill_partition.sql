-- Partition values the files do not carry, set on the rows this partition's COPY has just
-- added: they are still NULL there, while partitions copied before already have theirs.
UPDATE {{ stage|ident }}
SET {% for name, value in fill_values %}{{ name|ident }} = {{ value|lit }}{{ ", " if not loop.last }}{% endfor %}

WHERE {{ fill_values[0][0]|ident }} IS NULL
