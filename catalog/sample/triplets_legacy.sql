-- triplets.csv in the legacy wide schema, from the current-schema rows in `current`:
-- modality_1 = paired, modality_2 = annotated, one id column per modality.
SELECT
    encord_text_id,
    paired_modality AS modality_1,
    annotated_modality AS modality_2,
    annotated_modality,
    CASE 'image' WHEN paired_modality THEN encord_paired_id WHEN annotated_modality THEN encord_annotated_id END AS encord_image_id,
    CASE 'audio' WHEN paired_modality THEN encord_paired_id WHEN annotated_modality THEN encord_annotated_id END AS encord_audio_id,
    CASE 'video' WHEN paired_modality THEN encord_paired_id WHEN annotated_modality THEN encord_annotated_id END AS encord_video_id,
    CASE 'points' WHEN paired_modality THEN encord_paired_id WHEN annotated_modality THEN encord_annotated_id END AS encord_points_id,
    annotation
FROM current;
