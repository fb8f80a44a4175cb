-- The samples of one EShot category, audio first, each with what a download needs.
SELECT 'eshot' AS part, modality, eshot_id AS asset_id, youtube_id, start_time, end_time, file_id,
       file_path
FROM eshot_samples
WHERE category = $category
ORDER BY modality, eshot_id
LIMIT $max_rows;
