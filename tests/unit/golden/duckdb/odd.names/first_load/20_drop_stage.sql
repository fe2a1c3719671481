-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step drop_stage, template shipped sql/duckdb/drop_stage.sql
DROP VIEW IF EXISTS "_loaders_stage_loadid"
