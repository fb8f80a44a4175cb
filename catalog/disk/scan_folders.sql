-- The save folders a scan walks: those of the assets in scope that have a safe path (the test of
-- the macro asset_path, without building the path).
SELECT DISTINCT save_folder
FROM assets
WHERE list_contains($parts, part::VARCHAR)
  AND list_contains($modalities, modality::VARCHAR)
  AND NOT (unsafe_name(save_folder) OR unsafe_name(file_name))
ORDER BY save_folder;
