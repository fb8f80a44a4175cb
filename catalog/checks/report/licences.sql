-- Items per licence over every part and modality, with what the licence text forbids.
SELECT coalesce(dataset_license, '(not given)') AS licence, sum(items)::BIGINT AS items,
       bool_or(non_commercial) AS non_commercial, bool_or(no_derivatives) AS no_derivatives,
       string_agg(DISTINCT coalesce(source_dataset, '(not given)'), ', ' ORDER BY coalesce(source_dataset, '(not given)')) AS sources
FROM licence_summary
GROUP BY ALL
ORDER BY items DESC, licence;
