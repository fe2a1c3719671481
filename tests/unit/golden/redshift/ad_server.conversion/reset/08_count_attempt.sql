-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step count_attempt, template shipped sql/redshift/count_attempt.sql
UPDATE "_loaders"."partitions"
SET attempts = attempts + 1, updated_at = CAST('<now>' AS TIMESTAMP)
WHERE dataset = 'ad_server.conversion' AND partition_key IN ('dt=2026-01-01/hour=00')
