-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step describe, template shipped sql/duckdb/describe.sql
DESCRIBE SELECT * FROM read_parquet(['s3://lake/sample/odd.names/dt=2026-01-01/part-0.parquet'], hive_partitioning = false, union_by_name = true, filename = '_loaders_file')
