-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step staged_counts, template shipped sql/duckdb/staged_counts.sql
SELECT file_name, num_rows
FROM parquet_file_metadata(['s3://lake/sample/ad_server.conversion/dt=2026-01-01/hour=00/part-0.parquet'])
