-- loaders compile: sink redshift (redshift), dataset ad_server.click, partition dt=2026-01-01
-- step copy_stage, template shipped sql/redshift/copy_stage.sql
COPY "_loaders_stage_loadid"
FROM 's3://lake/_loaders/copy/ad_server.click/dt=2026-01-01/<load_id>.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/loader'
MANIFEST
FORMAT AS CSV
IGNOREHEADER 1
EMPTYASNULL
TIMEFORMAT 'auto'
