CREATE SCHEMA IF NOT EXISTS {{ target_schema_path|ident }}
