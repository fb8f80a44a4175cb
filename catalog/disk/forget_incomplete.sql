-- A rescan replaces the incomplete files earlier scans found for the parts and modalities it
-- covers.
DELETE FROM incomplete_files
WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR);
