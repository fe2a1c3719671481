-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step stage, template shipped sql/duckdb/stage.sql
CREATE TEMP VIEW "_loaders_stage_loadid" AS
SELECT
    r.*,
    p."dt"
FROM read_parquet(['s3://lake/sample/odd.names/dt=2026-01-01/part-0.parquet'], hive_partitioning = false, union_by_name = true, filename = '_loaders_file') AS r
JOIN (
    VALUES
        ('s3://lake/sample/odd.names/dt=2026-01-01/part-0.parquet', '2026-01-01')
) AS p ("_loaders_file", "dt") ON r."_loaders_file" = p."_loaders_file"
