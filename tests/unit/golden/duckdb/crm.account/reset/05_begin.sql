-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step begin, template shipped sql/default/begin.sql
BEGIN TRANSACTION
