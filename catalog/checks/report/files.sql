-- Every file the build ingested, and every file it skipped.
SELECT path, part, kind, rows, bytes, modified, seconds, NULL AS skipped FROM source_files
UNION ALL
SELECT path, part, NULL, NULL, NULL, NULL, NULL, reason FROM skipped_files
ORDER BY part, path;
