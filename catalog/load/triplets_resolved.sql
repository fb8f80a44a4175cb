-- triplets_labeled's rows, stored once so that the view joins nothing: each triplet with its
-- caption, its label and the path below the asset root of both items (the path parts the
-- asset tables store), sorted by pair and rating, so that a question about one pair and label
-- reads only its row groups. The asset root is joined by the view, so `config set asset_root`
-- changes nothing here; the build fills this after the load, and `config set layout.<m>`
-- again after it rewrote the asset tables (catalog.config). Both ids resolve within E-MM1:1M.
DELETE FROM triplets_resolved;
INSERT INTO triplets_resolved
SELECT
    tr.encord_text_id,
    t.caption,
    tr.paired_modality,
    tr.annotated_modality,
    tr.encord_paired_id,
    tr.encord_annotated_id,
    tr.annotation,
    l.label,
    pa.file_path_below_root,
    aa.file_path_below_root
FROM triplets AS tr
LEFT JOIN infos_1m_text AS t ON t.encord_text_id = tr.encord_text_id
LEFT JOIN annotation_labels AS l ON l.code = tr.annotation
LEFT JOIN path_parts_1m AS pa ON pa.modality = tr.paired_modality AND pa.asset_id = tr.encord_paired_id
LEFT JOIN path_parts_1m AS aa ON aa.modality = tr.annotated_modality AND aa.asset_id = tr.encord_annotated_id
ORDER BY tr.paired_modality, tr.annotated_modality, tr.annotation, tr.encord_text_id,
    tr.encord_paired_id, tr.encord_annotated_id;
