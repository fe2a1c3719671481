SELECT column_name, data_type
FROM information_schema.columns
WHERE table_schema = {{ target_schema|lit }} AND table_name = {{ target_name|lit }}
ORDER BY ordinal_position
