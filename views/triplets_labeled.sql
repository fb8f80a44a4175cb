-- E-MM1:1M ratings with the caption, the label and both file paths. Both ids resolve within
-- E-MM1:1M, each in its own modality. Duplicate rows of triplets.csv stay duplicated. The build
-- stored the rows resolved (triplets_resolved, catalog/load/triplets_resolved.sql), sorted by
-- pair and rating: a path is the asset root and the path below it, and nothing is joined.
CREATE OR REPLACE VIEW triplets_labeled AS
SELECT
    r.encord_text_id,
    r.caption,
    r.paired_modality,
    r.annotated_modality,
    r.encord_paired_id,
    r.encord_annotated_id,
    r.annotation,
    r.annotation_label,
    under_root(s.asset_root, r.paired_path_below_root) AS paired_modality_file_path,
    under_root(s.asset_root, r.annotated_path_below_root) AS annotated_modality_file_path
FROM triplets_resolved AS r
CROSS JOIN path_settings AS s;
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
