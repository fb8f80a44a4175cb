-- One row per (part, modality) the scan covered.
INSERT INTO file_scans
SELECT DISTINCT part, modality, $scanned_at, $root, $seconds, $files_listed
FROM assets
WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR);
