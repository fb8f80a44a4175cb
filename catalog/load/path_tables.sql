-- The tables that store the paths of assets (resolved_file_path): the infos tables of both
-- parts (infos_<part>_<modality>) and EShot's (eshot_audio, eshot_points); those of one
-- modality when $suffix is '_<modality>', all when it is ''.
SELECT table_name
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
  AND column_name = 'resolved_file_path' AND ends_with(table_name, $suffix)
ORDER BY table_name;
