-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step stage, template shipped sql/duckdb/stage.sql
CREATE TEMP VIEW "_loaders_stage_loadid" AS
SELECT
    r.*,
    p."dt",
    p."hour"
FROM read_parquet(['s3://lake/sample/ad_server.conversion/dt=2026-01-01/hour=00/part-0.parquet'], hive_partitioning = false, union_by_name = true, filename = '_loaders_file') AS r
JOIN (
    VALUES
        ('s3://lake/sample/ad_server.conversion/dt=2026-01-01/hour=00/part-0.parquet', '2026-01-01', '00')
) AS p ("_loaders_file", "dt", "hour") ON r."_loaders_file" = p."_loaders_file"
