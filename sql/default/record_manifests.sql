INSERT INTO {{ manifests_table|ident }} (dataset, partition_key, url, version, rows_loaded, load_id, applied_at)
VALUES
{% for m in manifests %}
    ({{ dataset|lit }}, {{ m.partition_key|lit }}, {{ m.url|lit }}, {{ m.version|lit }}, {{ m.rows|lit }}, {{ load_id|lit }}, {{ now|timestamp }}){{ "," if not loop.last }}
{% endfor %}
