-- Autovacuum never analyzes temporary tables: without statistics the planner guesses the
-- staged row count, and the merge's join plan with it.
ANALYZE {{ stage|ident }}
