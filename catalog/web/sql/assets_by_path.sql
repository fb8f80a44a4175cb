-- The asset behind each of a few file paths, so that a result column of paths can show the
-- files. The assets with those file names are found first (materialised, so that a path is
-- built for them only); a path shared by several assets (save folder `shared`) names the first.
WITH named AS MATERIALIZED (
    SELECT a.part, a.modality, a.asset_id, a.file_path
    FROM assets AS a
    WHERE a.file_name IN (SELECT unnest($names))
)
SELECT DISTINCT ON (n.file_path) n.file_path, n.part, n.modality, n.asset_id
FROM named AS n
WHERE n.file_path IN (SELECT unnest($paths))
ORDER BY n.file_path, n.part, n.modality, n.asset_id;
