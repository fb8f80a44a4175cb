-- Items per part and modality (text: captions), for the data card.
SELECT part, modality, sum(items)::BIGINT AS items
FROM licence_summary
GROUP BY ALL
ORDER BY part, modality;
