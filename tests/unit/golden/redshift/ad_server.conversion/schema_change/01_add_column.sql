-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step add_column, template shipped sql/default/add_column.sql
ALTER TABLE "raw"."conversions" ADD COLUMN "new_column" VARCHAR
