-- Match the listing of the disk (registered Arrow tables listing_files and listing_dirs:
-- every file below <root>/<save_folder>/<folder>/) against the assets in scope, by save_folder
-- and file_name, in every folder. Only whole files (more than 0 bytes) match here;
-- match_incomplete.sql finds the others. Rows without a safe path (see the macro asset_path)
-- are never matched: the test is the macro's own, so no path string is built per asset.
-- `file` is the listing's number of each file, so layout_report.sql counts a file that two
-- assets share once. store_matches.sql files the matches.
CREATE OR REPLACE TEMP TABLE scan_found AS
WITH scoped AS (
    SELECT part, modality, asset_id, save_folder, file_name
    FROM assets
    WHERE list_contains($parts, part::VARCHAR)
      AND list_contains($modalities, modality::VARCHAR)
      AND NOT (unsafe_name(save_folder) OR unsafe_name(file_name))
),
listed AS (
    SELECT
        d.save_folder,
        d.folder,
        CASE WHEN d.subdir = '' THEN f.name ELSE concat(d.subdir, '/', f.name) END AS file_name,
        f.bytes,
        f.file
    FROM listing_files AS f
    JOIN listing_dirs AS d ON d.dir_id = f.dir_id
    WHERE f.bytes > 0
)
SELECT a.part, a.modality, a.asset_id, l.folder, l.bytes, l.file
FROM scoped AS a
JOIN listed AS l ON l.save_folder = a.save_folder AND l.file_name = a.file_name;
