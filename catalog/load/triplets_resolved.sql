-- triplets_labeled's rows, stored so that the view reads one table: each triplet with its
-- caption, its label and the file path of both items (the resolved_file_path the asset tables
-- store), sorted by pair and rating, so that a question about one pair and label reads only
-- its row groups. The build fills this after the load, and `emm1 config set` again after it
-- rewrote the asset tables' paths (catalog.config). Both ids resolve within E-MM1:1M, each in
-- its own modality; duplicate rows of triplets stay duplicated.
DELETE FROM triplets_resolved;
INSERT INTO triplets_resolved
WITH items AS (
    SELECT 'image'::modality AS modality, encord_image_id AS asset_id, resolved_file_path FROM infos_1m_image
    UNION ALL SELECT 'audio'::modality, encord_audio_id, resolved_file_path FROM infos_1m_audio
    UNION ALL SELECT 'video'::modality, encord_video_id, resolved_file_path FROM infos_1m_video
    UNION ALL SELECT 'points'::modality, encord_points_id, resolved_file_path FROM infos_1m_points
)
SELECT
    tr.encord_text_id,
    t.caption,
    tr.paired_modality,
    tr.annotated_modality,
    tr.encord_paired_id,
    tr.encord_annotated_id,
    tr.annotation,
    l.label,
    pa.resolved_file_path,
    aa.resolved_file_path
FROM triplets AS tr
LEFT JOIN infos_1m_text AS t ON t.encord_text_id = tr.encord_text_id
LEFT JOIN annotation_labels AS l ON l.code = tr.annotation
LEFT JOIN items AS pa ON pa.modality = tr.paired_modality AND pa.asset_id = tr.encord_paired_id
LEFT JOIN items AS aa ON aa.modality = tr.annotated_modality AND aa.asset_id = tr.encord_annotated_id
ORDER BY tr.paired_modality, tr.annotated_modality, tr.annotation, tr.encord_text_id,
    tr.encord_paired_id, tr.encord_annotated_id;
