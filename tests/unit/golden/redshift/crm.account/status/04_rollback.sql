-- loaders compile: sink redshift (redshift), dataset crm.account, partition dt=2026-01-01
-- step rollback, template shipped sql/default/rollback.sql
ROLLBACK
