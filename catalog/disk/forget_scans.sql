-- A rescan replaces the scan records of the parts and modalities it covers.
DELETE FROM file_scans
WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR);
