-- loaders compile: sink duckdb (duckdb), dataset ad_server.click, partition dt=2026-01-01
-- step describe, template shipped sql/duckdb/describe.sql
DESCRIBE SELECT * FROM read_csv(['s3://lake/sample/ad_server.click/dt=2026-01-01/part-0.csv'], header = true, delim = ',', quote = '"', escape = '"', comment = '', skip = 0, strict_mode = true, null_padding = false, ignore_errors = false, hive_partitioning = false, union_by_name = true, filename = '_loaders_file', types = {'value': 'DECIMAL(12, 2)'})
