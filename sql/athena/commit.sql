{#- Athena has no transactions and the Iceberg path keeps its load state in S3 objects
    (sinks/athena/state.py), not in tables: this step renders to nothing, and a step that
    renders to nothing is neither run nor compiled (AthenaIcebergSink.execute). -#}
