-- Redshift runs every transaction SERIALIZABLE and aborts one of two concurrent loads
-- that write the same tables (error 1023). An explicit LOCK of the state tables, first
-- thing in the transaction, makes them queue instead; the one that waited then re-checks
-- what the other applied. Staging (the COPY) runs before, outside the lock.
LOCK {{ partitions_table|ident }}, {{ manifests_table|ident }}
