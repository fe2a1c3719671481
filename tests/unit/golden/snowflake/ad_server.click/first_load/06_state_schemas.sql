-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step state_schemas, template shipped sql/default/state_schemas.sql
CREATE TABLE IF NOT EXISTS "_LOADERS"."SCHEMAS" (
    dataset VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    partition_key VARCHAR NOT NULL,
    load_id VARCHAR NOT NULL,
    first_loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, fingerprint)
)
