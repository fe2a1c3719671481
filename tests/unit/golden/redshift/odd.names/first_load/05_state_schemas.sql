-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step state_schemas, template shipped sql/redshift/state_schemas.sql
-- Redshift's VARCHAR without a length is VARCHAR(256): as the other state tables, longer.
CREATE TABLE IF NOT EXISTS "_loaders"."schemas" (
    dataset VARCHAR(512) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    partition_key VARCHAR(1024) NOT NULL,
    load_id VARCHAR(256) NOT NULL,
    first_loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, fingerprint)
)
