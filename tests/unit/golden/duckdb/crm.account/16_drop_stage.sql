-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step drop_stage, template shipped sql/duckdb/drop_stage.sql
DROP TABLE IF EXISTS "_loaders_stage_loadid"
