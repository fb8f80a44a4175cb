-- File the scan's matches (match_files.sql): a whole file makes its asset present; the others
-- are kept apart, with their path and why they do not count.
INSERT INTO asset_files
SELECT part, modality, asset_id, folder, bytes
FROM scan_matches
WHERE incomplete IS NULL;

INSERT INTO incomplete_files
SELECT part, modality, asset_id, folder, path, bytes, incomplete
FROM scan_matches
WHERE incomplete IS NOT NULL;

DROP TABLE scan_matches;
