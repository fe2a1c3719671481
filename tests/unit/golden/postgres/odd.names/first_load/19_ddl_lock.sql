-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step ddl_lock, template shipped sql/postgres/ddl_lock.sql
-- First loads take turns here: the state tables, and a target table that does not exist
-- yet, are created by one transaction at a time. CREATE ... IF NOT EXISTS does not wait
-- for a concurrent creation that has not committed: it fails with a unique violation.
-- A transaction-level lock, released by COMMIT or ROLLBACK (or the session's end).
SELECT PG_ADVISORY_XACT_LOCK(HASHTEXT('loaders ddl'))
