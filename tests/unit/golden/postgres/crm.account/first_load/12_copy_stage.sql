-- loaders compile: sink postgres (postgres), dataset crm.account, partition dt=2026-01-01
-- step copy_stage, template shipped sql/postgres/copy_stage.sql
COPY "_loaders_stage_loadid" ("value", "dt") FROM STDIN WITH (FORMAT csv)
