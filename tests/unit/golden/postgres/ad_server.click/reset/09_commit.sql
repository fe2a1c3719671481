-- loaders compile: sink postgres (postgres), dataset ad_server.click, partition dt=2026-01-01
-- step commit, template shipped sql/default/commit.sql
COMMIT
