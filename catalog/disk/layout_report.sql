-- Per modality in scope: how many files its assets (with a safe path) name, and for each folder
-- the scan found some of them in, how many, and how many of those are missing from the folder
-- the layout names (path_settings), so count as missing. A file is a save_folder and file_name:
-- assets of two parts that share one are one file.
WITH scoped AS (
    SELECT part, modality, asset_id, save_folder || '/' || file_name AS file
    FROM assets
    WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR)
      AND file_path IS NOT NULL
),
expected AS (
    SELECT modality, count(DISTINCT file) AS expected
    FROM scoped
    GROUP BY modality
),
configured AS (
    SELECT unnest(['image', 'audio', 'video', 'points']) AS modality,
           unnest([image_folder, audio_folder, video_folder, points_folder]) AS folder
    FROM path_settings
),
found AS (
    SELECT s.modality, s.file, f.folder,
           bool_or(f.folder = c.folder) OVER (PARTITION BY s.modality, s.file) AS in_layout
    FROM asset_files AS f
    JOIN scoped AS s USING (part, modality, asset_id)
    JOIN configured AS c ON c.modality = s.modality::VARCHAR
),
per_folder AS (
    SELECT modality, folder, count(DISTINCT file) AS files,
           count(DISTINCT file) FILTER (WHERE NOT in_layout) AS not_in_layout
    FROM found
    GROUP BY modality, folder
)
SELECT e.modality::VARCHAR, e.expected, p.folder, coalesce(p.files, 0) AS files,
       coalesce(p.not_in_layout, 0) AS not_in_layout
FROM expected AS e
LEFT JOIN per_folder AS p ON p.modality = e.modality
ORDER BY e.modality, p.folder;
