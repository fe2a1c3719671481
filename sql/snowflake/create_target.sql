-- Runs while staging, before BEGIN: Snowflake commits an open transaction before DDL
-- (https://docs.snowflake.com/en/sql-reference/transactions), which would split the load.
CREATE TABLE IF NOT EXISTS {{ target|ident }} AS
SELECT {{ columns|idents }}
FROM {{ stage|ident }}
LIMIT 0
