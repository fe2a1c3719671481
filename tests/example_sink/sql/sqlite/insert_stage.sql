{#- One file's rows, a record batch at a time: the sink binds each row's values to the
    placeholders (executemany); nothing of the data is written into the statement. -#}
INSERT INTO {{ stage|ident }} ({{ copy_columns|idents }})
VALUES ({% for _name in copy_columns %}?{{ ", " if not loop.last }}{% endfor %})
