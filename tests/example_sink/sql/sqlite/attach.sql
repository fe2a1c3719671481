{#- SQLite has no schemas: each schema is a database file of its own in the sink's folder,
    attached to the connection under the schema's name, so raw.conversions is the table
    conversions of raw.sqlite. The sink attaches the state schema when it connects and a
    target's schema when a load first looks for the target (SQLiteSink.target_columns).
    Attaching a file that does not exist creates it on the first write. -#}
ATTACH DATABASE {{ file|lit }} AS {{ schema|ident }}
