-- The tables that store the paths of assets (resolved_file_path): the
-- infos tables of both parts (infos_<part>_<modality>) and EShot's (eshot_audio,
-- eshot_points); those of one modality when $suffix is '_<modality>', all when it is ''.
SELECT c.table_name
FROM duckdb_columns() AS c
JOIN duckdb_tables() AS t USING (database_name, schema_name, table_name)
WHERE c.database_name = current_database() AND c.schema_name = 'main'
  AND c.column_name = 'resolved_file_path' AND ends_with(c.table_name, $suffix)
ORDER BY c.table_name;
