-- loaders compile: sink duckdb (duckdb), dataset odd.names, partition dt=2026-01-01
-- step stage, template shipped sql/duckdb/stage.sql
CREATE TEMP VIEW "_loaders_stage_loadid" AS
SELECT *
FROM read_parquet(['s3://lake/sample/odd.names/dt=2026-01-01/part-0.parquet'], hive_partitioning = false, union_by_name = true, filename = '_loaders_file')
JOIN (
    VALUES
        ('s3://lake/sample/odd.names/dt=2026-01-01/part-0.parquet', '2026-01-01')
) AS _loaders_fill ("_loaders_file", "dt") USING ("_loaders_file")
