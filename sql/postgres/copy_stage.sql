{#- One file's rows, streamed by the loader as CSV a record batch at a time, with the
    partition's values appended to each row where the file does not carry them. -#}
COPY {{ stage|ident }} ({{ copy_columns|idents }}) FROM STDIN WITH (FORMAT csv)
