-- loaders compile: sink athena (athena), dataset odd.names, partition dt=2026-01-01
-- step drop_stage, template shipped sql/athena/drop_stage.sql
DROP TABLE IF EXISTS `select`.`_loaders_stage_loadid`
