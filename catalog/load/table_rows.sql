-- Rows per table of the catalog, for `emm1 info`.
SELECT table_name, estimated_size
FROM duckdb_tables()
WHERE database_name = current_database() AND NOT temporary
ORDER BY table_name;
