-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step add_column, template shipped sql/default/add_column.sql
ALTER TABLE "select"."ta""ble; drop" ADD COLUMN IF NOT EXISTS "new_column" TEXT
