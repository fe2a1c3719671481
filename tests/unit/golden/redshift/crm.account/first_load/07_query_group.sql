-- loaders compile: sink redshift (redshift), dataset crm.account, partition dt=2026-01-01
-- step query_group, template shipped sql/redshift/query_group.sql
-- Labels this session's queries (SYS_QUERY_HISTORY.query_label, WLM query groups) for
-- cost attribution: the loader, then the dataset.
SET query_group TO 'loaders:crm.account'
