-- EShot categories with how many audio and point-cloud samples each holds.
SELECT category, count(*) FILTER (WHERE modality = 'audio') AS audio,
       count(*) FILTER (WHERE modality = 'points') AS points
FROM eshot_samples
WHERE category IS NOT NULL
GROUP BY category
ORDER BY category;
