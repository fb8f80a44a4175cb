-- E-MM1:1M ratings with the caption, the label and both file paths. Both ids resolve within
-- E-MM1:1M, each in its own modality. Duplicate rows of triplets.csv stay duplicated.
CREATE OR REPLACE VIEW triplets_labeled AS
WITH assets_1m AS (
    SELECT 'image'::modality AS modality, encord_image_id AS id, save_folder, file_name FROM infos_1m_image
    UNION ALL SELECT 'audio', encord_audio_id, save_folder, file_name FROM infos_1m_audio
    UNION ALL SELECT 'video', encord_video_id, save_folder, file_name FROM infos_1m_video
    UNION ALL SELECT 'points', encord_points_id, save_folder, file_name FROM infos_1m_points
),
folders AS (
    SELECT asset_root, unnest(['image', 'audio', 'video', 'points'])::modality AS modality,
           unnest([image_folder, audio_folder, video_folder, points_folder]) AS folder
    FROM path_settings
)
SELECT
    tr.encord_text_id,
    t.caption,
    tr.paired_modality,
    tr.annotated_modality,
    tr.encord_paired_id,
    tr.encord_annotated_id,
    tr.annotation,
    l.label AS annotation_label,
    asset_path(pf.asset_root, pa.save_folder, pf.folder, pa.file_name) AS paired_modality_file_path,
    asset_path(af.asset_root, aa.save_folder, af.folder, aa.file_name) AS annotated_modality_file_path
FROM triplets AS tr
LEFT JOIN infos_1m_text AS t ON t.encord_text_id = tr.encord_text_id
LEFT JOIN annotation_labels AS l ON l.code = tr.annotation
LEFT JOIN assets_1m AS pa ON pa.modality = tr.paired_modality AND pa.id = tr.encord_paired_id
LEFT JOIN folders AS pf ON pf.modality = tr.paired_modality
LEFT JOIN assets_1m AS aa ON aa.modality = tr.annotated_modality AND aa.id = tr.encord_annotated_id
LEFT JOIN folders AS af ON af.modality = tr.annotated_modality;
COMMENT ON VIEW triplets_labeled IS 'E-MM1:1M: one row per triplets.csv row (duplicates kept), with caption, label and both file paths.';
COMMENT ON COLUMN triplets_labeled.encord_text_id IS 'Caption id (E-MM1:1M text).';
COMMENT ON COLUMN triplets_labeled.caption IS 'Caption text; it belongs with the paired item.';
COMMENT ON COLUMN triplets_labeled.paired_modality IS 'Modality of the item the caption describes.';
COMMENT ON COLUMN triplets_labeled.annotated_modality IS 'Modality of the rated candidate.';
COMMENT ON COLUMN triplets_labeled.encord_paired_id IS 'Paired item id (E-MM1:1M, paired_modality).';
COMMENT ON COLUMN triplets_labeled.encord_annotated_id IS 'Candidate item id (E-MM1:1M, annotated_modality).';
COMMENT ON COLUMN triplets_labeled.annotation IS 'Rating code.';
COMMENT ON COLUMN triplets_labeled.annotation_label IS 'Rating label (Good Match, Partial Match, Bad (No) Match).';
COMMENT ON COLUMN triplets_labeled.paired_modality_file_path IS 'Path of the paired item file; NULL if it has no infos row or an unsafe name.';
COMMENT ON COLUMN triplets_labeled.annotated_modality_file_path IS 'Path of the candidate file; NULL if it has no infos row or an unsafe name.';
