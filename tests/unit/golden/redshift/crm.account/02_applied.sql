-- loaders compile: sink redshift (redshift), dataset crm.account, partition dt=2026-01-01
-- step applied, template shipped sql/default/applied.sql
-- The manifest versions applied to these partitions, and (url NULL) those of them whose
-- last attempt failed: a load that finds nothing to apply clears such a failure, and
-- only then writes anything.
SELECT partition_key, url, version
FROM "_loaders"."manifests"
WHERE dataset = 'crm.account' AND partition_key IN ('dt=2026-01-01')
UNION ALL
SELECT partition_key, NULL, NULL
FROM "_loaders"."partitions"
WHERE dataset = 'crm.account' AND partition_key IN ('dt=2026-01-01') AND status = 'failed'
