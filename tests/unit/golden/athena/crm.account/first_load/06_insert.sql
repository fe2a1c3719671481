-- loaders compile: sink athena (athena), dataset crm.account, partition dt=2026-01-01
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "raw"."accounts" ("value", "dt", "_loaders_manifest")
SELECT "value", "dt", "_loaders_manifest"
FROM "raw"."_loaders_stage_loadid"
WHERE
    ("dt" = '2026-01-01')
