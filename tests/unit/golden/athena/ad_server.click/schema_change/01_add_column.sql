-- loaders compile: sink athena (athena), dataset ad_server.click, partition dt=2026-01-01
-- step add_column, template shipped sql/athena/add_column.sql
ALTER TABLE `raw`.`clicks` ADD COLUMNS (`new_column` string)
