-- E-MM1:1M ratings with the caption, the label and both file paths. Both ids resolve within
-- E-MM1:1M, each in its own modality. Duplicate rows of triplets.csv stay duplicated.
CREATE OR REPLACE VIEW triplets_labeled AS
SELECT
    tr.encord_text_id,
    t.caption,
    tr.paired_modality,
    tr.annotated_modality,
    tr.encord_paired_id,
    tr.encord_annotated_id,
    tr.annotation,
    l.label AS annotation_label,
    under_root(pa.asset_root, pa.file_path_below_root) AS paired_modality_file_path,
    under_root(aa.asset_root, aa.file_path_below_root) AS annotated_modality_file_path
FROM triplets AS tr
LEFT JOIN infos_1m_text AS t ON t.encord_text_id = tr.encord_text_id
LEFT JOIN annotation_labels AS l ON l.code = tr.annotation
LEFT JOIN path_parts_1m AS pa ON pa.modality = tr.paired_modality AND pa.asset_id = tr.encord_paired_id
LEFT JOIN path_parts_1m AS aa ON aa.modality = tr.annotated_modality AND aa.asset_id = tr.encord_annotated_id;
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
