-- eshot/eshot_audio_info.csv
SELECT
    spaced_id(i, 5) AS eshot_audio_id,
    youtube_id(i * 13 + $seed + 1) AS youtube_id,
    (mix2(i, $seed + 31) % 3000) / 10.0 AS start_time,
    (mix2(i, $seed + 31) % 3000) / 10.0 + 10.0 AS end_time,
    'eshot_audio_' || spaced_id(i, 5) || '.wav' AS file_name,
    'eshot' AS save_folder
FROM range($n) AS r(i)
ORDER BY i;
