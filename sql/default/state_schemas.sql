{#- The writer schemas whose data each dataset's table holds: one row per fingerprint
    (the 16 hex digits of the registry's file name), with the load and partition that
    first brought it. Never deleted: a history of what the table has seen. -#}
CREATE TABLE IF NOT EXISTS {{ schemas_table|ident }} (
    dataset VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    partition_key VARCHAR NOT NULL,
    load_id VARCHAR NOT NULL,
    first_loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset, fingerprint)
)
