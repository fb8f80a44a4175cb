-- The tables that store file_path_below_root for the assets of one modality ($modality): the
-- infos tables of both parts (infos_<part>_<modality>) and EShot's (eshot_audio, eshot_points).
SELECT table_name
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
  AND column_name = 'file_path_below_root' AND ends_with(table_name, '_' || $modality)
ORDER BY table_name;
