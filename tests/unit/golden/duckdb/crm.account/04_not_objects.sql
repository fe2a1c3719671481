-- loaders compile: sink duckdb (duckdb), dataset crm.account, partition dt=2026-01-01
-- step not_objects, template shipped sql/duckdb/not_objects.sql
SELECT filename, COUNT(*)
FROM READ_NDJSON_OBJECTS(['s3://lake/sample/crm.account/dt=2026-01-01/part-0.jsonl'], filename = true)
WHERE JSON_TYPE(json) <> 'OBJECT'
GROUP BY filename
ORDER BY filename
