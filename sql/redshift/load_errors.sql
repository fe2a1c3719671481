-- Why the COPY this session just ran failed: its first rejected rows, with the load
-- error code that tells a file that does not parse from a value its column cannot hold.
SELECT line_number, error_code, TRIM(file_name), TRIM(column_name), TRIM(error_message)
FROM sys_load_error_detail
WHERE query_id = PG_LAST_COPY_ID()
ORDER BY file_name, line_number
LIMIT {{ limit|lit }}
