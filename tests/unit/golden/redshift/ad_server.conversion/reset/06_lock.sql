-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step lock, template shipped sql/redshift/lock.sql
-- Redshift runs every transaction SERIALIZABLE and aborts one of two concurrent loads
-- that write the same tables (error 1023). An explicit LOCK of the state tables, first
-- thing in the transaction, makes them queue instead; the one that waited then re-checks
-- what the other applied. Staging (the COPY) runs before, outside the lock.
LOCK "_loaders"."partitions", "_loaders"."manifests"
