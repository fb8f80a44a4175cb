-- triplets_labeled with whether the paired and the rated item's files are on disk. Ids resolve
-- within E-MM1:1M only; duplicate rows stay duplicated.
CREATE OR REPLACE VIEW triplets_present AS
WITH found AS (
    SELECT modality, asset_id FROM asset_presence WHERE part = 'e-mm1_1m'
)
SELECT
    t.*,
    p.asset_id IS NOT NULL AS paired_present,
    a.asset_id IS NOT NULL AS annotated_present
FROM triplets_labeled AS t
LEFT JOIN found AS p ON p.modality = t.paired_modality AND p.asset_id = t.encord_paired_id
LEFT JOIN found AS a ON a.modality = t.annotated_modality AND a.asset_id = t.encord_annotated_id;
COMMENT ON VIEW triplets_present IS 'triplets_labeled plus whether each item''s file is on disk (last `emm1 files scan`); complete triplets have both flags true.';
COMMENT ON COLUMN triplets_present.encord_text_id IS 'Caption id (E-MM1:1M text).';
COMMENT ON COLUMN triplets_present.caption IS 'Caption text; it belongs with the paired item.';
COMMENT ON COLUMN triplets_present.paired_modality IS 'Modality of the item the caption describes.';
COMMENT ON COLUMN triplets_present.annotated_modality IS 'Modality of the rated candidate.';
COMMENT ON COLUMN triplets_present.encord_paired_id IS 'Paired item id (E-MM1:1M, paired_modality).';
COMMENT ON COLUMN triplets_present.encord_annotated_id IS 'Candidate item id (E-MM1:1M, annotated_modality).';
COMMENT ON COLUMN triplets_present.annotation IS 'Rating code.';
COMMENT ON COLUMN triplets_present.annotation_label IS 'Rating label (Good Match, Partial Match, Bad (No) Match).';
COMMENT ON COLUMN triplets_present.paired_modality_file_path IS 'Path of the paired item file; NULL if it has no infos row or an unsafe name.';
COMMENT ON COLUMN triplets_present.annotated_modality_file_path IS 'Path of the candidate file; NULL if it has no infos row or an unsafe name.';
COMMENT ON COLUMN triplets_present.paired_present IS 'The paired item''s file is on disk.';
COMMENT ON COLUMN triplets_present.annotated_present IS 'The rated candidate''s file is on disk.';
