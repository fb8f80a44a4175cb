/*
title = "Rating codes have a label"
group = "references"
severity = "fail"
expected = "0 triplets without a label"
help = "Every triplets.annotation code should be one of annotation_mapping.csv (1 Good Match, 2 Partial Match, 3 Bad (No) Match); a code outside it has no annotation_label. Pull annotation_mapping.csv, or triplets.csv of the same revision."
*/
SELECT encord_text_id, paired_modality, annotated_modality, encord_paired_id, encord_annotated_id, annotation
FROM triplets
WHERE annotation IS NULL OR annotation NOT IN (SELECT code FROM annotation_labels WHERE code IS NOT NULL)
ORDER BY ALL;

SELECT
    count(*) AS found,
    (SELECT count(*) FROM triplets) AS total,
    CASE WHEN count(*) > 0 THEN 'codes ' || array_to_string(list(DISTINCT coalesce(annotation::VARCHAR, 'empty') ORDER BY coalesce(annotation::VARCHAR, 'empty')), ', ')
         || '; labels known: ' || coalesce((SELECT array_to_string(list(code ORDER BY code), ', ') FROM annotation_labels), 'none') END AS detail
FROM offending;
