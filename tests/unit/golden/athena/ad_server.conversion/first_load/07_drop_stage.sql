-- loaders compile: sink athena (athena), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step drop_stage, template shipped sql/athena/drop_stage.sql
DROP TABLE IF EXISTS `raw`.`_loaders_stage_loadid`
