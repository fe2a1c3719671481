-- loaders compile: sink athena (athena), dataset ad_server.click, partition dt=2026-01-01
-- step delete_manifests, template shipped sql/athena/delete_manifests.sql
-- Append made repeatable: the rows of the manifests about to be inserted are deleted
-- first. They are there only if a load inserted them and crashed before recording them,
-- so the insert that follows never duplicates a row.
DELETE FROM "raw"."clicks"
WHERE "_loaders_manifest" IN ('s3://lake/sample/ad_server.click/dt=2026-01-01/sample.json#<version>', 'sample/ad_server.click/dt=2026-01-01/sample.json#<version>') AND (
    ("dt" = '2026-01-01')
)
