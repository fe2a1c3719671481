-- loaders compile: sink duckdb (duckdb), dataset ad_server.click, partition dt=2026-01-01
-- step insert, template shipped sql/default/insert.sql
INSERT INTO "raw"."clicks" ("value", "dt")
SELECT "value", "dt"
FROM "_loaders_stage_loadid"
