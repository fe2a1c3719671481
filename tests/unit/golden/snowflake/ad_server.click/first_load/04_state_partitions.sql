-- loaders compile: sink snowflake (snowflake), dataset ad_server.click, partition dt=2026-01-01
-- step state_partitions, template shipped sql/default/state_partitions.sql
CREATE TABLE IF NOT EXISTS "_LOADERS"."PARTITIONS" (
    dataset VARCHAR NOT NULL,
    partition_key VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    manifests INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error VARCHAR,
    load_id VARCHAR,
    loaded_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, partition_key)
)
