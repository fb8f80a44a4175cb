-- Per modality in scope: how many of its assets (with a safe path) exist, and how many of
-- their files the scan found in each folder.
WITH expected AS (
    SELECT modality, count(*) AS expected
    FROM assets
    WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR)
      AND file_path IS NOT NULL
    GROUP BY modality
),
found AS (
    SELECT modality, folder, count(*) AS files
    FROM asset_files
    WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR)
    GROUP BY modality, folder
)
SELECT e.modality::VARCHAR, e.expected, f.folder, coalesce(f.files, 0) AS files
FROM expected AS e
LEFT JOIN found AS f ON f.modality = e.modality
ORDER BY e.modality, f.folder;
