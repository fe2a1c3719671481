-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step describe, template shipped sql/duckdb/describe.sql
DESCRIBE SELECT * FROM read_json(['s3://lake/sample/crm.account/dt=2026-01-01/part-0.jsonl'], format = 'newline_delimited', records = 'true', sample_size = -1, hive_partitioning = false, union_by_name = true, filename = '_loaders_file')
