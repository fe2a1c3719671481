-- The Glue database of the target table, created with it when missing.
CREATE DATABASE IF NOT EXISTS {{ target_schema_path|ddl_ident }}
