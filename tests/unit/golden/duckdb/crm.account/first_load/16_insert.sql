-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "accounts" ("value", "dt")
SELECT "value", "dt"
FROM "_loaders_stage_loadid"
