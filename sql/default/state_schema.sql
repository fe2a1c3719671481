CREATE SCHEMA IF NOT EXISTS {{ state_schema|ident }}
