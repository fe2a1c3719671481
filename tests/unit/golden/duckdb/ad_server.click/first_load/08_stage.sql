-- loaders compile: sink duckdb (duckdb), dataset ad_server.click, partition dt=2026-01-01
-- step stage, template shipped sql/duckdb/stage.sql
CREATE TEMP TABLE "_loaders_stage_loadid" AS
SELECT *
FROM read_csv(['s3://lake/sample/ad_server.click/dt=2026-01-01/part-0.csv'], header = true, hive_partitioning = false, union_by_name = true, filename = '_loaders_file', types = {'value': 'DECIMAL(12, 2)'})
JOIN (
    VALUES
        ('s3://lake/sample/ad_server.click/dt=2026-01-01/part-0.csv', '2026-01-01')
) AS _loaders_fill ("_loaders_file", "dt") USING ("_loaders_file")
