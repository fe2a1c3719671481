-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step add_stage_column, template shipped sql/redshift/add_stage_column.sql
-- A partition column the files do not carry, added after the COPY (which matches Parquet
-- columns by position, so the stage could not have it before): every staged row takes
-- the partition's value as the column's default.
ALTER TABLE "_loaders_stage_loadid" ADD COLUMN "dt" VARCHAR(256) DEFAULT '2026-01-01'
