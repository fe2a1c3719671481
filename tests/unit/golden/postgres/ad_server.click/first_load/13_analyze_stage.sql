-- loaders compile: sink postgres (postgres), dataset ad_server.click, partition dt=2026-01-01
-- step analyze_stage, template shipped sql/postgres/analyze_stage.sql
-- Autovacuum never analyzes temporary tables: without statistics the planner guesses the
-- staged row count, and the merge's join plan with it.
ANALYZE "_loaders_stage_loadid"
