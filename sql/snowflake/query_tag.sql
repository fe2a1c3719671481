-- Tags the statements of this load in QUERY_HISTORY with a JSON object (loader, sink,
-- dataset, load id, partitions) so warehouse cost can be attributed per dataset; the
-- sink keeps it under QUERY_TAG's 2,000 characters
-- (https://docs.snowflake.com/en/sql-reference/parameters#query-tag).
ALTER SESSION SET QUERY_TAG = {{ query_tag|lit }}
