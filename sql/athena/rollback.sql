{#- Athena has no transactions: nothing to roll back. A step that renders to nothing is
    neither run nor compiled (AthenaIcebergSink.execute). -#}
