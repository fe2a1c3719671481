-- loaders compile: sink redshift (redshift), dataset ad_server.click, partition dt=2026-01-01
-- step state_partitions, template shipped sql/redshift/state_partitions.sql
-- Redshift's VARCHAR without a length is VARCHAR(256): sized here, errors get the most.
CREATE TABLE IF NOT EXISTS "_loaders"."partitions" (
    dataset VARCHAR(512) NOT NULL,
    partition_key VARCHAR(1024) NOT NULL,
    status VARCHAR(16) NOT NULL,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    manifests INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error VARCHAR(65535),
    load_id VARCHAR(256),
    loaded_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, partition_key)
)
