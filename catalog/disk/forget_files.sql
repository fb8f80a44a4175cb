-- A rescan replaces what earlier scans found for the parts and modalities it covers.
DELETE FROM asset_files
WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR);
