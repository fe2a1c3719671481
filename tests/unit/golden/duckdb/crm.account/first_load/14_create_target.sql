-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step create_target, template shipped sql/duckdb/create_target.sql
CREATE TABLE IF NOT EXISTS "accounts" AS
SELECT "value", "dt"
FROM "_loaders_stage_loadid"
LIMIT 0
