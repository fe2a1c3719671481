-- loaders compile: sink postgres (postgres), dataset odd.names, partition dt=2026-01-01
-- step create_stage, template shipped sql/postgres/create_stage.sql
CREATE TEMP TABLE "_loaders_stage_loadid" (
    "user ""id""" VARCHAR,
    "order" VARCHAR,
    "ts; DROP TABLE x --" VARCHAR,
    "value" VARCHAR,
    "dt" TEXT
)
