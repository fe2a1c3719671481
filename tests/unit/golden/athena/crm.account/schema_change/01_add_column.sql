-- loaders compile: sink athena (athena), dataset crm.account, partition dt=2026-01-01
-- step add_column, template shipped sql/athena/add_column.sql
ALTER TABLE `raw`.`accounts` ADD COLUMNS (`new_column` string)
