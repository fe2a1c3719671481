-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step commit, template shipped sql/default/commit.sql
COMMIT
