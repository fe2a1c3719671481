{#- One COPY of the unit's files, listed in a manifest the loader wrote for the unit: the
    files it validated, with the content_length Parquet needs. Parquet columns map by
    position, so the stage has exactly the files' columns, in their order; JSON keys map
    by name, ignoring case as Redshift folds identifiers to lower case. An empty CSV
    field is NULL, as every other sink reads it (EMPTYASNULL: without it an empty text
    field loads as ''; https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html). -#}
COPY {{ stage|ident }}
FROM {{ copy_manifest|lit }}
IAM_ROLE {{ iam_role|lit }}
MANIFEST
{% if format == "parquet" %}
FORMAT AS PARQUET{{ " SERIALIZETOJSON" if serialize_json }}
{% elif format == "csv" %}
FORMAT AS CSV
IGNOREHEADER 1
EMPTYASNULL
TIMEFORMAT 'auto'
{% elif format == "jsonl" %}
FORMAT AS JSON 'auto ignorecase'
TIMEFORMAT 'auto'
{% endif %}
