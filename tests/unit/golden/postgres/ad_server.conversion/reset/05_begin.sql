-- loaders compile: sink postgres (postgres), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step begin, template shipped sql/default/begin.sql
BEGIN TRANSACTION
