-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step describe, template shipped sql/duckdb/describe.sql
DESCRIBE SELECT * FROM read_parquet(['s3://lake/sample/ad_server.conversion/dt=2026-01-01/hour=00/part-0.parquet'], hive_partitioning = false, union_by_name = true, filename = '_loaders_file')
