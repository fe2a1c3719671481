-- loaders compile: sink athena (athena), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step create_stage, template shipped sql/athena/create_stage.sql
-- The unit's rows, written as Parquet under a prefix of this attempt (with partition
-- values and _loaders_manifest), read through an external table.
CREATE EXTERNAL TABLE IF NOT EXISTS `raw`.`_loaders_stage_loadid` (
    `conversion_id` string,
    `event_ts` string,
    `value` string,
    `dt` string,
    `hour` string,
    `_loaders_manifest` string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION 's3://lake/warehouse/_loaders/stage/_loaders_stage_loadid/'
