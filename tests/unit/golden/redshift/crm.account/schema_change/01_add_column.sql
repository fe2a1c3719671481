-- loaders compile: sink redshift (redshift), dataset crm.account, partition dt=2026-01-01
-- step add_column, template shipped sql/default/add_column.sql
ALTER TABLE "accounts" ADD COLUMN "new_column" VARCHAR
