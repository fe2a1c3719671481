-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step commit, template shipped sql/default/commit.sql
COMMIT
