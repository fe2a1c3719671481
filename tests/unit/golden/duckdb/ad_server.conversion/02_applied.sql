-- loaders compile: sink duckdb (duckdb), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step applied, template shipped sql/default/applied.sql
-- Of these partitions: those whose last attempt failed (url NULL; a load that finds
-- nothing to apply clears such a failure, and only then writes anything), and the
-- manifest versions applied to them. The partitions table comes first, in the order a
-- load's lock takes the state tables: a reader holding the manifests table while waiting
-- for the partitions table would deadlock with a load that holds the one and locks the other.
SELECT partition_key, NULL, NULL
FROM "_loaders"."partitions"
WHERE dataset = 'ad_server.conversion' AND partition_key IN ('dt=2026-01-01/hour=00') AND status = 'failed'
UNION ALL
SELECT partition_key, url, version
FROM "_loaders"."manifests"
WHERE dataset = 'ad_server.conversion' AND partition_key IN ('dt=2026-01-01/hour=00')
