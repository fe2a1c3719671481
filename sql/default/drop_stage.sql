DROP TABLE IF EXISTS {{ stage|ident }}
