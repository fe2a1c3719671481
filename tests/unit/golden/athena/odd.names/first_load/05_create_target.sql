-- loaders compile: sink athena (athena), dataset odd.names, partition dt=2026-01-01
-- step create_target, template shipped sql/athena/create_target.sql
-- An Iceberg table (Athena DDL: Hive syntax, backtick quoting) partitioned by the
-- dataset's partition columns; _loaders_manifest names the manifest version of each row.
CREATE TABLE IF NOT EXISTS `select`.`ta"ble; drop` (
    `user "id"` string,
    `order` string,
    `ts; DROP TABLE x --` string,
    `value` string,
    `dt` string,
    `_loaders_manifest` string
)
PARTITIONED BY (`dt`)
LOCATION 's3://lake/warehouse/ta"ble; drop/'
TBLPROPERTIES ('table_type' = 'ICEBERG')
