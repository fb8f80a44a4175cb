-- Items per part, modality and source dataset, for the data card.
SELECT part, modality, coalesce(source_dataset, '(not given)') AS source_dataset, sum(items)::BIGINT AS items
FROM licence_summary
GROUP BY ALL
ORDER BY part, modality, items DESC, source_dataset;
