-- loaders compile: sink postgres (postgres), dataset crm.account, partition dt=2026-01-01
-- step add_column, template shipped sql/default/add_column.sql
ALTER TABLE "accounts" ADD COLUMN IF NOT EXISTS "new_column" VARCHAR
