-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step state_schema, template shipped sql/default/state_schema.sql
CREATE SCHEMA IF NOT EXISTS "_loaders"
