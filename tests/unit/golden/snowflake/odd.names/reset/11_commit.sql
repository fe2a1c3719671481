-- loaders compile: sink snowflake (snowflake), dataset odd.names, partition dt=2026-01-01
-- step commit, template shipped sql/default/commit.sql
COMMIT
