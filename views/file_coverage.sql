-- How much of each scanned part, modality and source dataset is on disk.
CREATE OR REPLACE VIEW file_coverage AS
SELECT
    a.part, a.modality, a.source_dataset,
    count(*) AS expected,
    count(p.asset_id) AS present,
    count(*) FILTER (WHERE p.asset_id IS NULL AND a.file_path IS NOT NULL) AS missing,
    count(*) FILTER (WHERE a.file_path IS NULL) AS unsafe,
    round(100.0 * count(p.asset_id) / count(*), 1) AS percent,
    coalesce(sum(p.bytes), 0)::BIGINT AS bytes
FROM assets AS a
JOIN file_scans AS s ON s.part = a.part AND s.modality = a.modality
LEFT JOIN asset_presence AS p
    ON p.part = a.part AND p.modality = a.modality AND p.asset_id = a.asset_id
    AND a.file_path IS NOT NULL
GROUP BY a.part, a.modality, a.source_dataset;
COMMENT ON VIEW file_coverage IS 'Files on disk per scanned part, modality and source dataset, as of the last `emm1 files scan`.';
COMMENT ON COLUMN file_coverage.part IS 'Dataset part.';
COMMENT ON COLUMN file_coverage.modality IS 'Modality.';
COMMENT ON COLUMN file_coverage.source_dataset IS 'Source dataset (NULL for EShot).';
COMMENT ON COLUMN file_coverage.expected IS 'Assets in the catalog.';
COMMENT ON COLUMN file_coverage.present IS 'Assets whose file is on disk.';
COMMENT ON COLUMN file_coverage.missing IS 'Assets whose file is not on disk (rows of assets_missing).';
COMMENT ON COLUMN file_coverage.unsafe IS 'Assets with no safe path (rows of unsafe_assets).';
COMMENT ON COLUMN file_coverage.percent IS 'present / expected, in percent, one decimal.';
COMMENT ON COLUMN file_coverage.bytes IS 'Bytes on disk of the present files.';
