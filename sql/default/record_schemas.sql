{#- The fingerprints of the writer schemas this load brought, where not yet recorded.
    Loads of other partitions of the dataset may run at the same time: where the primary
    key is enforced (PostgreSQL, DuckDB) a fingerprint both record is kept once by ON
    CONFLICT; Redshift serialises loads on its LOCK of the state tables, and Snowflake's
    readers take the earliest row of a fingerprint. -#}
INSERT INTO {{ schemas_table|ident }} (dataset, fingerprint, partition_key, load_id, first_loaded_at)
SELECT s.dataset, s.fingerprint, s.partition_key, s.load_id, s.first_loaded_at
FROM (
{% for fingerprint, key in schemas %}
{% if not loop.first %}
    UNION ALL
{% endif %}
    SELECT
        {{ dataset|lit }} AS dataset,
        {{ fingerprint|lit }} AS fingerprint,
        {{ key|lit }} AS partition_key,
        {{ load_id|lit }} AS load_id,
        {{ now|timestamp }} AS first_loaded_at
{% endfor %}
) AS s
WHERE NOT EXISTS (
    SELECT 1 FROM {{ schemas_table|ident }} AS t
    WHERE t.dataset = s.dataset AND t.fingerprint = s.fingerprint
)
{% if dialect in ("postgres", "duckdb") %}
ON CONFLICT DO NOTHING
{% endif %}
