-- loaders compile: sink postgres (postgres), dataset crm.account, partition dt=2026-01-01
-- step create_stage, template shipped sql/postgres/create_stage.sql
CREATE TEMP TABLE "_loaders_stage_loadid" (
    "value" VARCHAR,
    "dt" TEXT
)
