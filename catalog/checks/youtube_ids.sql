/*
title = "YouTube ids have 11 characters"
group = "values"
severity = "fail"
expected = "0 malformed ids"
help = "A YouTube video id is 11 characters of A-Z, a-z, 0-9, - and _. Another value (cut short, padded, a URL) cannot be downloaded. Check the infos file against the dataset repository."
*/
SELECT part, modality, asset_id, source_dataset, youtube_id, length(youtube_id) AS length
FROM assets
WHERE youtube_id IS NOT NULL AND NOT regexp_full_match(youtube_id, '[A-Za-z0-9_-]{11}')
ORDER BY part, modality, asset_id;

SELECT
    count(*) AS found,
    (SELECT count(youtube_id) FROM assets) AS total,
    array_to_string(list(format('{} {} {}: ''{}''', part, modality, asset_id, youtube_id) ORDER BY part, modality, asset_id)[1:3], '; ')
        || CASE WHEN count(*) > 3 THEN format(' (and {} more)', count(*) - 3) ELSE '' END AS detail
FROM offending;
