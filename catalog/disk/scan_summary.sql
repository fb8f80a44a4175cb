-- For `emm1 info`: the last scan, how many of the files the scanned assets name are on disk and
-- their bytes, and how many files it found empty or partly downloaded. A file is counted once:
-- assets of two parts that share a save_folder and file_name (save folder `shared`) name one.
WITH files AS (
    SELECT a.file_path, bool_or(p.asset_id IS NOT NULL) AS present, max(p.bytes) AS bytes
    FROM assets AS a
    JOIN file_scans AS s ON s.part = a.part AND s.modality = a.modality
    LEFT JOIN asset_presence AS p
        ON p.part = a.part AND p.modality = a.modality AND p.asset_id = a.asset_id
    WHERE a.file_path IS NOT NULL
    GROUP BY a.file_path
)
SELECT
    (SELECT max(scanned_at) FROM file_scans) AS scanned_at,
    (SELECT arg_max(asset_root, scanned_at) FROM file_scans) AS asset_root,
    count(*) FILTER (WHERE present) AS present,
    count(*) AS expected,
    coalesce(sum(bytes), 0)::BIGINT AS bytes,
    (SELECT count(DISTINCT path) FROM incomplete_files) AS incomplete
FROM files;
