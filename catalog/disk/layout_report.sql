-- Per modality in scope: how many files its assets (with a safe path) name, and for each folder
-- the scan found some of them in (scan_found, match_files.sql), how many, and how many of those
-- are missing from the folder the layout names (path_settings), so count as missing. A file is
-- a save_folder and file_name: assets of two parts that share one are one file (one `file` of
-- the listing per folder). An asset is in the layout when one of its matches is in the folder
-- the layout names; the assets that share a file share that answer.
WITH expected AS (
    SELECT modality, count(DISTINCT (save_folder, file_name)) AS expected
    FROM assets
    WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR)
      AND NOT (unsafe_name(save_folder) OR unsafe_name(file_name))
    GROUP BY modality
),
configured AS (
    SELECT unnest(['image', 'audio', 'video', 'points']) AS modality,
           unnest([image_folder, audio_folder, video_folder, points_folder]) AS folder
    FROM path_settings
),
in_layout AS (
    SELECT f.part, f.modality, f.asset_id
    FROM scan_found AS f
    JOIN configured AS c ON c.modality = f.modality AND c.folder = f.folder
),
per_folder AS (
    SELECT f.modality, f.folder, count(DISTINCT f.file) AS files,
           count(DISTINCT f.file) FILTER (WHERE i.asset_id IS NULL) AS not_in_layout
    FROM scan_found AS f
    LEFT JOIN in_layout AS i USING (part, modality, asset_id)
    GROUP BY f.modality, f.folder
)
SELECT e.modality::VARCHAR, e.expected, p.folder, coalesce(p.files, 0) AS files,
       coalesce(p.not_in_layout, 0) AS not_in_layout
FROM expected AS e
LEFT JOIN per_folder AS p ON p.modality = e.modality
ORDER BY e.modality, p.folder;
