/*
title = "Clip times are valid"
group = "values"
severity = "fail"
expected = "0 bad ranges"
help = "Where an audio or video clip (E-MM1:100M, E-MM1:1M, EShot) has a start_time or end_time, both are there, neither is negative and the start is before the end; otherwise the clip cannot be cut from its YouTube video. Check the infos file against the dataset repository."
*/
SELECT part, modality, asset_id, source_dataset, youtube_id, start_time, end_time,
    CASE WHEN start_time IS NULL OR end_time IS NULL THEN 'only one of start_time and end_time'
         WHEN start_time < 0 OR end_time < 0 THEN 'negative time'
         ELSE 'start_time is not before end_time' END AS problem
FROM assets
WHERE (start_time IS NOT NULL OR end_time IS NOT NULL)
  AND NOT coalesce(start_time >= 0 AND end_time >= 0 AND start_time < end_time, FALSE)
ORDER BY part, modality, asset_id;

SELECT
    count(*) AS found,
    (SELECT count(*) FROM assets WHERE start_time IS NOT NULL OR end_time IS NOT NULL) AS total,
    array_to_string(list(format('{} {} {}: {}', part, modality, asset_id, problem) ORDER BY part, modality, asset_id)[1:3], '; ')
        || CASE WHEN count(*) > 3 THEN format(' (and {} more)', count(*) - 3) ELSE '' END AS detail
FROM offending;
