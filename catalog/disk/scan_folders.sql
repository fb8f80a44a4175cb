-- The save folders a scan walks: those of the assets in scope that have a safe path.
SELECT DISTINCT save_folder
FROM assets
WHERE list_contains($parts, part::VARCHAR)
  AND list_contains($modalities, modality::VARCHAR)
  AND file_path IS NOT NULL
ORDER BY save_folder;
