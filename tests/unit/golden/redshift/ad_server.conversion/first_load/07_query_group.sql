-- loaders compile: sink redshift (redshift), dataset ad_server.conversion, partition dt=2026-01-01/hour=00
-- step query_group, template shipped sql/redshift/query_group.sql
-- Labels this session's queries (SYS_QUERY_HISTORY.query_label, WLM query groups) for
-- cost attribution: the loader, then the dataset.
SET query_group TO 'loaders:ad_server.conversion'
