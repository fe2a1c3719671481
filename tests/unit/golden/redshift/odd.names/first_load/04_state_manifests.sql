-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step state_manifests, template shipped sql/redshift/state_manifests.sql
-- Redshift's VARCHAR without a length is VARCHAR(256): an S3 URL may be longer.
CREATE TABLE IF NOT EXISTS "_loaders"."manifests" (
    dataset VARCHAR(512) NOT NULL,
    partition_key VARCHAR(1024) NOT NULL,
    url VARCHAR(4096) NOT NULL,
    version VARCHAR(256) NOT NULL,
    rows_loaded BIGINT NOT NULL,
    load_id VARCHAR(256) NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, partition_key, url, version)
)
