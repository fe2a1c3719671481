-- loaders compile: sink redshift (redshift), dataset odd.names, partition dt=2026-01-01
-- step target_columns, template shipped sql/default/target_columns.sql
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'select' AND table_name = 'ta"ble; drop'
ORDER BY ordinal_position
