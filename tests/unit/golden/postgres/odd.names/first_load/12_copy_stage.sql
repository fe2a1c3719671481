-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step copy_stage, template shipped sql/postgres/copy_stage.sql
COPY "_loaders_stage_loadid" ("user ""id""", "order", "ts; DROP TABLE x --", "value", "dt") FROM STDIN WITH (FORMAT csv)
