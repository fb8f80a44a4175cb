-- The files in scope the scan found empty or partly downloaded, per reason, with one example.
SELECT reason, count(DISTINCT path) AS files, min(path) AS example
FROM incomplete_files
WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR)
GROUP BY reason
ORDER BY reason;
