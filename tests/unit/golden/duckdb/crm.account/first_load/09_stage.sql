-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step stage, template shipped sql/duckdb/stage.sql
CREATE TEMP TABLE "_loaders_stage_loadid" AS
SELECT
    r.*,
    p."dt"
FROM read_json(['s3://lake/sample/crm.account/dt=2026-01-01/part-0.jsonl'], format = 'newline_delimited', records = 'true', columns = {'value': 'VARCHAR'}, hive_partitioning = false, union_by_name = true, filename = '_loaders_file') AS r
JOIN (
    VALUES
        ('s3://lake/sample/crm.account/dt=2026-01-01/part-0.jsonl', '2026-01-01')
) AS p ("_loaders_file", "dt") ON r."_loaders_file" = p."_loaders_file"
