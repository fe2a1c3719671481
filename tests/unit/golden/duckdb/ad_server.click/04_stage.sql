-- loaders compile: sink duckdb (duckdb), dataset ad_server.click, partition dt=2026-01-01
-- step stage, template shipped sql/duckdb/stage.sql
CREATE TEMP TABLE "_loaders_stage_loadid" AS
SELECT
    r.*,
    p."dt"
FROM read_csv(['s3://lake/sample/ad_server.click/dt=2026-01-01/part-0.csv'], header = true, delim = ',', quote = '"', escape = '"', comment = '', skip = 0, strict_mode = true, null_padding = false, ignore_errors = false, hive_partitioning = false, union_by_name = true, filename = '_loaders_file', types = {'value': 'DECIMAL(12, 2)'}) AS r
JOIN (
    VALUES
        ('s3://lake/sample/ad_server.click/dt=2026-01-01/part-0.csv', '2026-01-01')
) AS p ("_loaders_file", "dt") ON r."_loaders_file" = p."_loaders_file"
