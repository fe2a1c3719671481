DROP {{ "VIEW" if format == "parquet" else "TABLE" }} IF EXISTS {{ stage|ident }}
