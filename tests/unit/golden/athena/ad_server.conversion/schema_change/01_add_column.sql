-- loaders compile: sink athena (athena), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step add_column, template shipped sql/athena/add_column.sql
ALTER TABLE `raw`.`conversions` ADD COLUMNS (`new_column` string)
