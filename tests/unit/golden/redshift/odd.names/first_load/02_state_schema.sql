-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step state_schema, template shipped sql/default/state_schema.sql
CREATE SCHEMA IF NOT EXISTS "_loaders"
