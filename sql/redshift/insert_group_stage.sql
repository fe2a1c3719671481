-- A group's rows into the stage by column name; the stage's columns the group's files
-- lack stay NULL (the partition's values are set or added after every group is in).
INSERT INTO {{ stage|ident }} ({{ group_columns|idents }})
SELECT {{ group_columns|idents }}
FROM {{ group_stage|ident }}
