-- Legacy wide triplets -> the current schema. modality_1 is the paired item, modality_2 the
-- annotated one; each row fills encord_<modality_1>_id and encord_<modality_2>_id.
-- Extra columns of the file pass through by name.
INSERT INTO triplets BY NAME
SELECT
    * EXCLUDE (modality_1, modality_2, annotated_modality,
               encord_image_id, encord_audio_id, encord_video_id, encord_points_id),
    modality_1 AS paired_modality,
    modality_2 AS annotated_modality,
    CASE modality_1
        WHEN 'image' THEN encord_image_id WHEN 'audio' THEN encord_audio_id
        WHEN 'video' THEN encord_video_id WHEN 'points' THEN encord_points_id
    END AS encord_paired_id,
    CASE modality_2
        WHEN 'image' THEN encord_image_id WHEN 'audio' THEN encord_audio_id
        WHEN 'video' THEN encord_video_id WHEN 'points' THEN encord_points_id
    END AS encord_annotated_id
FROM legacy_triplets;
