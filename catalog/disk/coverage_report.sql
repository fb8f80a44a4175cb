-- Coverage of the scanned scope per part, modality and source dataset, with a total per part
-- and modality (source_dataset '(all)') and per part (modality and source '(all)').
SELECT
    part::VARCHAR AS part,
    CASE WHEN grouping(modality) = 1 THEN '(all)' ELSE modality::VARCHAR END AS modality,
    CASE WHEN grouping(source_dataset) = 1 THEN '(all)' ELSE coalesce(source_dataset, '-') END
        AS source_dataset,
    sum(present)::BIGINT AS present,
    sum(expected)::BIGINT AS expected,
    round(100.0 * sum(present) / sum(expected), 1) AS percent
FROM file_coverage
WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR)
GROUP BY GROUPING SETS ((part, modality, source_dataset), (part, modality), (part))
ORDER BY part, grouping(modality), modality, grouping(source_dataset), source_dataset;
