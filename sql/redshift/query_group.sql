-- Labels this session's queries (SYS_QUERY_HISTORY.query_label, WLM query groups) for
-- cost attribution: the loader, then the dataset.
SET query_group TO {{ query_group|lit }}
