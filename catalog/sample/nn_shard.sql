-- nn_<k>/data_groups.csv: per caption, the k-th nearest item of each modality. About 1% of the
-- ids point past the end of their infos file (a group id absent from infos).
SELECT
    spaced_id(i, gap_of('text')) AS encord_text_id,
    spaced_id(CASE WHEN mix2(i, $k * 4 + 1) % 97 = 0 THEN $n_video + i % 5 ELSE mix2(i, $seed + $k * 8 + 1) % $n_video END, gap_of('video')) AS encord_video_id,
    spaced_id(CASE WHEN mix2(i, $k * 4 + 2) % 97 = 0 THEN $n_audio + i % 5 ELSE mix2(i, $seed + $k * 8 + 2) % $n_audio END, gap_of('audio')) AS encord_audio_id,
    spaced_id(CASE WHEN mix2(i, $k * 4 + 3) % 97 = 0 THEN $n_image + i % 5 ELSE mix2(i, $seed + $k * 8 + 3) % $n_image END, gap_of('image')) AS encord_image_id,
    spaced_id(CASE WHEN mix2(i, $k * 4 + 4) % 97 = 0 THEN $n_points + i % 5 ELSE mix2(i, $seed + $k * 8 + 4) % $n_points END, gap_of('points')) AS encord_points_id,
    $k AS nn_index
FROM range($n) AS r(i)
ORDER BY i;
