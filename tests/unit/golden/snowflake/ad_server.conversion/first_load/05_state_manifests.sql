-- loaders compile: sink snowflake (snowflake), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step state_manifests, template shipped sql/default/state_manifests.sql
CREATE TABLE IF NOT EXISTS "_LOADERS"."MANIFESTS" (
    dataset VARCHAR NOT NULL,
    partition_key VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    rows_loaded BIGINT NOT NULL,
    load_id VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, partition_key, url, version)
)
