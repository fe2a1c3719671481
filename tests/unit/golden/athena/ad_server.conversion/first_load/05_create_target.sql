-- loaders compile: sink athena (athena), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_target, template shipped sql/athena/create_target.sql
-- An Iceberg table (Athena DDL: Hive syntax, backtick quoting) partitioned by the
-- dataset's partition columns; _loaders_manifest names the manifest version of each row.
CREATE TABLE IF NOT EXISTS `raw`.`conversions` (
    `conversion_id` string,
    `event_ts` string,
    `value` string,
    `dt` string,
    `hour` string,
    `_loaders_manifest` string
)
PARTITIONED BY (`dt`, `hour`)
LOCATION 's3://lake/warehouse/conversions/'
TBLPROPERTIES ('table_type' = 'ICEBERG')
