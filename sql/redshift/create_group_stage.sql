{#- One group of the unit's files whose ordered columns differ from the others': a table
    with exactly those columns, in the files' order (COPY maps Parquet and CSV columns by
    position and wants as many as the file has), each typed as the stage types it. -#}
CREATE TEMP TABLE {{ group_stage|ident }} AS
SELECT {{ group_columns|idents }}
FROM {{ stage|ident }}
LIMIT 0
