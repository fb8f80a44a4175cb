/*
title = "Every file is on disk"
group = "files"
severity = "warn"
expected = "0 files missing"
help = "After `emm1 files scan`: the assets of the scanned parts and modalities whose file is not on disk (view assets_missing; assets with an unsafe name are counted under unsafe_names). `emm1 files missing` writes the list for the downloaders. Skipped until a scan has run."
*/
SELECT part, modality, asset_id, source_dataset, file_path
FROM assets_missing
ORDER BY part, modality, asset_id;

WITH coverage AS (
    SELECT part, modality, sum(present) AS present, sum(expected) AS expected
    FROM file_coverage GROUP BY ALL
)
SELECT
    CASE WHEN EXISTS (SELECT 1 FROM file_scans) THEN (SELECT count(*) FROM offending) END AS found,
    (SELECT sum(expected) FROM coverage) AS total,
    CASE WHEN NOT EXISTS (SELECT 1 FROM file_scans) THEN 'no scan yet: run emm1 files scan'
         ELSE (SELECT array_to_string(list(format('{} {} {:.1f}%', part, modality, 100.0 * present / expected) ORDER BY part, modality), '; ') FROM coverage) END AS detail;
