-- How many of the requested (part, modality) pairs have been scanned.
SELECT count(*)
FROM file_scans
WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR);
