-- The partition's values over the columns of those names that the files carry (the COPY
-- loaded the files' own values): the partition's value wins, so that replace deletes
-- exactly the rows it inserted. Each takes the column's type; the loader checked that it
-- can before the COPY.
UPDATE {{ stage|ident }}
SET {% for name, value in partition_values %}{{ name|ident }} = {{ value|lit }}{{ ", " if not loop.last }}{% endfor %}
