CREATE TABLE IF NOT EXISTS {{ manifests_table|ident }} (
    dataset VARCHAR NOT NULL,
    partition_key VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    rows_loaded BIGINT NOT NULL,
    load_id VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, partition_key, url, version)
)
