-- A partition column the files do not carry, added after the COPY (which matches Parquet
-- columns by position, so the stage could not have it before): every staged row takes
-- the partition's value as the column's default.
ALTER TABLE {{ stage|ident }} ADD COLUMN {{ fill_column|ident }} {{ fill_type }} DEFAULT {{ fill_value|lit }}
