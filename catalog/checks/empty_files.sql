/*
title = "Files on disk are not empty"
group = "files"
severity = "fail"
expected = "0 empty files"
help = "After `emm1 files scan`: a file of 0 bytes is a download that failed. Delete it and download it again. Skipped until a scan has run."
*/
SELECT a.part, a.modality, a.asset_id, a.source_dataset, i.path AS file_path, i.bytes
FROM incomplete_files AS i
JOIN assets AS a USING (part, modality, asset_id)
WHERE i.reason = 'empty file'
ORDER BY a.part, a.modality, a.asset_id;

SELECT
    CASE WHEN EXISTS (SELECT 1 FROM file_scans) THEN count(*) END AS found,
    (SELECT count(*) FROM assets_present) AS total,
    CASE WHEN NOT EXISTS (SELECT 1 FROM file_scans) THEN 'no scan yet: run emm1 files scan'
         ELSE array_to_string(list(file_path ORDER BY file_path)[1:3], '; ')
              || CASE WHEN count(*) > 3 THEN format(' (and {} more)', count(*) - 3) ELSE '' END END AS detail
FROM offending;
