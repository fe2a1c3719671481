-- CREATE SCHEMA makes the new schema the session's current one; this puts back the
-- schema of the sink's URL, which unqualified names (the stage, a one-part table) mean.
USE SCHEMA {{ home|ident }}
