-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step staged_counts, template shipped sql/duckdb/staged_counts.sql
SELECT "_loaders_file", COUNT(*), COUNT("value")
FROM "_loaders_stage_loadid"
GROUP BY "_loaders_file"
