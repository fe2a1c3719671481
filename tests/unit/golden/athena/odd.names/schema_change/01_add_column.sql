-- loaders compile: sink athena (athena), dataset odd.names, partition dt=2026-01-01
-- step add_column, template shipped sql/athena/add_column.sql
ALTER TABLE `select`.`ta"ble; drop` ADD COLUMNS (`new_column` string)
