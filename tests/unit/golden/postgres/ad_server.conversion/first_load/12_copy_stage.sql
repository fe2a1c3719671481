-- loaders compile: sink postgres (postgres), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step copy_stage, template shipped sql/postgres/copy_stage.sql
COPY "_loaders_stage_loadid" ("conversion_id", "event_ts", "value", "dt", "hour") FROM STDIN WITH (FORMAT csv)
