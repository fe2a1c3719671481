{#- As sql/default/record_manifests.sql, with the time written as text: in SQLite, CAST(... AS
    TIMESTAMP) casts to NUMERIC, which reads 2026-11-28 08:00:00 as 2026. -#}
INSERT INTO {{ manifests_table|ident }} (dataset, partition_key, url, version, rows_loaded, load_id, applied_at)
VALUES
{% for m in manifests %}
    ({{ dataset|lit }}, {{ m.partition_key|lit }}, {{ m.url|lit }}, {{ m.version|lit }}, {{ m.rows|lit }}, {{ load_id|lit }}, {{ now|lit }}){{ "," if not loop.last }}
{% endfor %}
