-- loaders compile: sink postgres (postgres), dataset ad_server.click, partition dt=2026-01-01
-- step add_column, template shipped sql/default/add_column.sql
ALTER TABLE "raw"."clicks" ADD COLUMN IF NOT EXISTS "new_column" VARCHAR
