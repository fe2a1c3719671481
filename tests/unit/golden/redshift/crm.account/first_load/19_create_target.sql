-- loaders compile: sink redshift (redshift), dataset crm.account, partition dt=2026-01-01
-- step create_target, template shipped sql/postgres/create_target.sql
CREATE TABLE "accounts" AS
SELECT "value", "dt"
FROM "_loaders_stage_loadid"
LIMIT 0
