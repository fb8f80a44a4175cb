-- Match the listing of the disk (registered Arrow tables listing_files and listing_dirs:
-- every file below <root>/<save_folder>/<folder>/) against the assets in scope, by save_folder
-- and file_name, in every folder. A match is whole (incomplete is NULL), or incomplete: an
-- empty file, or a partial download (the file_name with .part, .tmp or .ytdl added). Rows
-- without a safe path are never matched. Each match carries the file's path below $root, the
-- folder scanned. store_matches.sql files them.
CREATE OR REPLACE TEMP TABLE scan_matches AS
WITH listed AS (
    SELECT
        d.save_folder,
        d.folder,
        CASE WHEN d.subdir = '' THEN f.name ELSE d.subdir || '/' || f.name END AS file_name,
        f.bytes
    FROM listing_files AS f
    JOIN listing_dirs AS d ON d.dir_id = f.dir_id
),
partial AS (
    SELECT *, regexp_extract(file_name, '\.(part|tmp|ytdl)$', 0) AS suffix
    FROM listed
    WHERE regexp_matches(file_name, '\.(part|tmp|ytdl)$')
),
scoped AS (
    SELECT part, modality, asset_id, save_folder, file_name
    FROM assets
    WHERE list_contains($parts, part::VARCHAR)
      AND list_contains($modalities, modality::VARCHAR)
      AND file_path IS NOT NULL
)
SELECT a.part, a.modality, a.asset_id, l.folder,
       concat_ws('/', rtrim($root, '/'), l.save_folder, l.folder, l.file_name) AS path, l.bytes,
       CASE WHEN l.bytes = 0 THEN 'empty file' END AS incomplete
FROM scoped AS a
JOIN listed AS l ON l.save_folder = a.save_folder AND l.file_name = a.file_name
UNION ALL
SELECT a.part, a.modality, a.asset_id, l.folder,
       concat_ws('/', rtrim($root, '/'), l.save_folder, l.folder, l.file_name), l.bytes,
       'partial download (' || l.suffix || ')'
FROM scoped AS a
JOIN partial AS l
    ON l.save_folder = a.save_folder
   AND left(l.file_name, length(l.file_name) - length(l.suffix)) = a.file_name;
