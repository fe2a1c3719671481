{#- One COPY of the unit's files, listed in a manifest the loader wrote for the unit: the
    files it validated, with the content_length Parquet needs. Parquet columns map by
    position, so the stage has exactly the files' columns, in their order; JSON keys map
    by name, ignoring case as Redshift folds identifiers to lower case. -#}
COPY {{ stage|ident }}
FROM {{ copy_manifest|lit }}
IAM_ROLE {{ iam_role|lit }}
MANIFEST
{% if format == "parquet" %}
FORMAT AS PARQUET{{ " SERIALIZETOJSON" if serialize_json }}
{% elif format == "csv" %}
FORMAT AS CSV
IGNOREHEADER 1
TIMEFORMAT 'auto'
{% elif format == "jsonl" %}
FORMAT AS JSON 'auto ignorecase'
TIMEFORMAT 'auto'
{% endif %}
