-- The source datasets of the assets of some parts and modalities, for `emm1 files missing
-- --source-dataset`: a name not among them is refused with this list.
SELECT DISTINCT a.source_dataset
FROM assets AS a
WHERE list_contains($parts, a.part::VARCHAR) AND list_contains($modalities, a.modality::VARCHAR)
  AND a.source_dataset IS NOT NULL
ORDER BY a.source_dataset
