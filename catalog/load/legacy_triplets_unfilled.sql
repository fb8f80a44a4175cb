-- The first legacy row (file order) that leaves empty a column the schema fills in every row:
-- modality_1, modality_2, and the id columns of those two modalities. Returns the record
-- (rowid + 2: the header is record 1), which of modality_1 / modality_2, and its modality.
SELECT rowid + 2 AS record, side, modality
FROM (
    SELECT rowid, unnest([
        {'side': 'modality_1', 'modality': modality_1, 'id': CASE modality_1
            WHEN 'image' THEN encord_image_id WHEN 'audio' THEN encord_audio_id
            WHEN 'video' THEN encord_video_id WHEN 'points' THEN encord_points_id
            WHEN 'text' THEN encord_text_id END},
        {'side': 'modality_2', 'modality': modality_2, 'id': CASE modality_2
            WHEN 'image' THEN encord_image_id WHEN 'audio' THEN encord_audio_id
            WHEN 'video' THEN encord_video_id WHEN 'points' THEN encord_points_id
            WHEN 'text' THEN encord_text_id END}
    ], recursive := true)
    FROM legacy_triplets
)
WHERE id IS NULL
ORDER BY rowid, side
LIMIT 1;
