-- triplets_labeled's rows, stored so that the view reads one table: each triplet with its
-- caption, its label and the file path of both items (from the view assets, whose filter on
-- the part reaches only the E-MM1:1M tables), sorted by pair and rating, so that a question
-- about one pair and label reads only its row groups. The build fills this after the load,
-- and `emm1 config set` again after it rewrote the asset tables' paths (catalog.config). Both
-- ids resolve within E-MM1:1M, each in its own modality; duplicate rows of triplets stay
-- duplicated.
DELETE FROM triplets_resolved;
INSERT INTO triplets_resolved
WITH items AS (SELECT modality, asset_id, file_path FROM assets WHERE part = 'e-mm1_1m')
SELECT
    tr.encord_text_id,
    t.caption,
    tr.paired_modality,
    tr.annotated_modality,
    tr.encord_paired_id,
    tr.encord_annotated_id,
    tr.annotation,
    l.label,
    pa.file_path,
    aa.file_path
FROM triplets AS tr
LEFT JOIN infos_1m_text AS t ON t.encord_text_id = tr.encord_text_id
LEFT JOIN annotation_labels AS l ON l.code = tr.annotation
LEFT JOIN items AS pa ON pa.modality = tr.paired_modality AND pa.asset_id = tr.encord_paired_id
LEFT JOIN items AS aa ON aa.modality = tr.annotated_modality AND aa.asset_id = tr.encord_annotated_id
ORDER BY tr.paired_modality, tr.annotated_modality, tr.annotation, tr.encord_text_id,
    tr.encord_paired_id, tr.encord_annotated_id;
