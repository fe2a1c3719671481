-- loaders compile: sink redshift (redshift), dataset ad_server.click, partition dt=2026-01-01
-- step staged_counts, template shipped sql/redshift/staged_counts.sql
-- Rows per file of the COPY this session just ran, as Redshift counted them.
SELECT TRIM(file_name), SUM(lines_scanned)
FROM sys_load_detail
WHERE query_id = PG_LAST_COPY_ID()
GROUP BY TRIM(file_name)
