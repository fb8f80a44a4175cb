-- The files of the listing (see match_files.sql) that belong to an asset in scope but are not
-- whole: an empty file (0 bytes) named as the asset, or a partial download, the asset's
-- file_name with .part, .tmp or .ytdl added. The listing is narrowed to such files first, so
-- only they are joined and given a path (below $root, the folder scanned).
INSERT INTO incomplete_files
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
        regexp_extract(f.name, '\.(part|tmp|ytdl)$', 0) AS suffix
    FROM listing_files AS f
    JOIN listing_dirs AS d ON d.dir_id = f.dir_id
    WHERE f.bytes = 0 OR regexp_matches(f.name, '\.(part|tmp|ytdl)$')
),
matched AS (
    SELECT a.part, a.modality, a.asset_id, l.save_folder, l.folder, l.file_name, l.bytes,
           'empty file' AS reason
    FROM scoped AS a
    JOIN listed AS l ON l.save_folder = a.save_folder AND l.file_name = a.file_name
    WHERE l.bytes = 0
    UNION ALL
    SELECT a.part, a.modality, a.asset_id, l.save_folder, l.folder, l.file_name, l.bytes,
           'partial download (' || l.suffix || ')'
    FROM scoped AS a
    JOIN listed AS l
        ON l.save_folder = a.save_folder
       AND left(l.file_name, length(l.file_name) - length(l.suffix)) = a.file_name
    WHERE l.suffix <> ''
)
SELECT part, modality, asset_id, folder,
       concat_ws('/', rtrim($root, '/'), save_folder, folder, file_name) AS path, bytes, reason
FROM matched;
