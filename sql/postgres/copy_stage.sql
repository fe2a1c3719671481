{#- One file's rows, streamed by the loader as CSV a record batch at a time. The
    partition's values win over the file's own columns of those names (set in each row,
    in the column's type) and are appended to each row where the file does not carry
    them. -#}
COPY {{ stage|ident }} ({{ copy_columns|idents }}) FROM STDIN WITH (FORMAT csv)
