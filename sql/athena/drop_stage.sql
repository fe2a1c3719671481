DROP TABLE IF EXISTS {{ stage_table|ddl_ident }}
