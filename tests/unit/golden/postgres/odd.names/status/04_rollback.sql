-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step rollback, template shipped sql/default/rollback.sql
ROLLBACK
