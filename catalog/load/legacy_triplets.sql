-- Staging table for triplets.csv in the legacy wide schema (early drafts of E-MM1:1M).
CREATE TEMP TABLE legacy_triplets (
    encord_text_id INTEGER, modality_1 modality, modality_2 modality,
    annotated_modality modality, encord_image_id INTEGER, encord_audio_id INTEGER,
    encord_video_id INTEGER, encord_points_id INTEGER, annotation TINYINT
);
