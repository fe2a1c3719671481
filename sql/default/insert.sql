{#- Append and replace insert the staged rows; a merge into a table created in this
    same transaction inserts them too (nothing to match), de-duplicated. -#}
INSERT INTO {{ target|ident }} ({{ columns|idents }})
{% include "_source.sql" %}
