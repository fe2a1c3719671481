-- Why the COPY this session just ran failed: its first rejected rows.
SELECT line_number, TRIM(file_name), TRIM(column_name), TRIM(error_message)
FROM sys_load_error_detail
WHERE query_id = PG_LAST_COPY_ID()
ORDER BY file_name, line_number
LIMIT {{ limit|lit }}
