-- loaders compile: sink athena (athena), dataset odd.names, partition dt=2026-01-01
-- step create_schema, template shipped sql/athena/create_schema.sql
-- The Glue database of the target table, created with it when missing.
CREATE DATABASE IF NOT EXISTS `select`
