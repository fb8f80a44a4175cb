-- Match the listing of the disk (registered Arrow tables listing_files and listing_dirs:
-- every file below <root>/<save_folder>/<folder>/) against the assets in scope, by save_folder
-- and file_name, in every folder. Rows without a safe path are never matched.
INSERT INTO asset_files
WITH listed AS (
    SELECT
        d.save_folder,
        d.folder,
        CASE WHEN d.subdir = '' THEN f.name ELSE d.subdir || '/' || f.name END AS file_name,
        f.bytes
    FROM listing_files AS f
    JOIN listing_dirs AS d ON d.dir_id = f.dir_id
)
SELECT a.part, a.modality, a.asset_id, l.folder, l.bytes
FROM assets AS a
JOIN listed AS l ON l.save_folder = a.save_folder AND l.file_name = a.file_name
WHERE list_contains($parts, a.part::VARCHAR)
  AND list_contains($modalities, a.modality::VARCHAR)
  AND a.file_path IS NOT NULL;
