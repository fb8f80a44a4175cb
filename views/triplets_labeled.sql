-- E-MM1:1M ratings with the caption, the label and both file paths. Both ids resolve within
-- E-MM1:1M, each in its own modality. Duplicate rows of triplets.csv stay duplicated. The build
-- stores the rows resolved (triplets_resolved, catalog/load/triplets_resolved.sql), sorted by
-- pair and rating, and `emm1 config set` refills them: the view reads that one table.
CREATE OR REPLACE VIEW triplets_labeled AS
SELECT
    encord_text_id,
    caption,
    paired_modality,
    annotated_modality,
    encord_paired_id,
    encord_annotated_id,
    annotation,
    annotation_label,
    paired_modality_file_path,
    annotated_modality_file_path
FROM triplets_resolved;
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
