-- The files of the listing (scan_inputs.sql) that belong to an asset in scope but are not
-- whole: an empty file (0 bytes) named as the asset, or a partial download, the asset's
-- file_name with .part, .tmp or .ytdl added. The listing is narrowed to such files first, so
-- only they are joined and given a path (below $root, the folder scanned).
INSERT INTO incomplete_files
WITH listed AS (
    SELECT save_folder, folder, file_name, bytes,
           regexp_extract(name, '\.(part|tmp|ytdl)$', 0) AS suffix
    FROM scan_listing()
    WHERE bytes = 0 OR regexp_matches(name, '\.(part|tmp|ytdl)$')
),
scoped AS (FROM scan_assets($parts, $modalities)),
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
