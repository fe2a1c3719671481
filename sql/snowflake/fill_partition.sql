-- The partition's values, set on the rows this partition's COPY has just added: the only
-- rows not marked with their partition yet (those of partitions copied before are). They
-- win over a column of the same name the files carry, whose type the value then takes
-- (the loader checked that it can), so replace deletes exactly the rows it inserted.
UPDATE {{ stage|ident }}
SET
{% for name, value in partition_values %}
    {{ name|ident }} = {{ value|lit }},
{% endfor %}
    {{ mark_column|ident }} = {{ mark|lit }}
WHERE {{ mark_column|ident }} IS NULL
