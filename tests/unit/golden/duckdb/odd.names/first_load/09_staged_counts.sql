-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step staged_counts, template shipped sql/duckdb/staged_counts.sql
SELECT file_name, num_rows
FROM parquet_file_metadata(['s3://lake/sample/odd.names/dt=2026-01-01/part-0.parquet'])
