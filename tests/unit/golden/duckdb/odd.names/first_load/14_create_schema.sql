-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step create_schema, template shipped sql/default/create_schema.sql
CREATE SCHEMA IF NOT EXISTS "select"
