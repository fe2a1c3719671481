-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step merge_delete, template shipped sql/redshift/merge_delete.sql
-- Redshift's MERGE takes a table as its source and no condition on WHEN MATCHED, so the
-- upsert is a delete and an insert in the load's transaction. First the delete: every
-- target row for which a staged row of its key is at least as new. Any staged row will do
-- (the newest is at least as new as any), so this needs no de-duplication. Keys compare
-- with = so the join hashes: no staged key is NULL (the loader refuses such rows before a
-- merge: NullKeyError), so IS NOT DISTINCT FROM would give the same result, slower.
DELETE FROM "select"."ta""ble; drop"
USING "_loaders_stage_loadid" AS staged
WHERE
    ("ta""ble; drop"."ts; DROP TABLE x --" IS NULL OR staged."ts; DROP TABLE x --" >= "ta""ble; drop"."ts; DROP TABLE x --")
    AND "ta""ble; drop"."user ""id""" = staged."user ""id"""
    AND "ta""ble; drop"."order" = staged."order"
