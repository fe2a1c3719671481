-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step query_tag, template shipped sql/snowflake/query_tag.sql
-- Tags the statements of this load in QUERY_HISTORY with a JSON object (loader, sink,
-- dataset, load id, partitions) so warehouse cost can be attributed per dataset; the
-- sink keeps it under QUERY_TAG's 2,000 characters
-- (https://docs.snowflake.com/en/sql-reference/parameters#query-tag).
ALTER SESSION SET QUERY_TAG = '{"loader": "loaders", "sink": "snowflake", "dataset": "odd.names", "load_id": "reset", "partitions": ["dt=2026-01-01"]}'
