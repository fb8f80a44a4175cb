/*
title = "Triplet rows are not repeated"
group = "references"
severity = "warn"
expected = "0 repeated rows"
help = "Exact duplicate rows of triplets.csv: the published file has some, and the catalog keeps them, so a rating may count twice. Found counts the extra copies; leave them out with SELECT DISTINCT if each rating should count once."
*/
SELECT encord_text_id, paired_modality, annotated_modality, encord_paired_id, encord_annotated_id, annotation, count(*) AS copies
FROM triplets
GROUP BY ALL
HAVING count(*) > 1
ORDER BY ALL;

SELECT
    coalesce(sum(copies - 1), 0) AS found,
    (SELECT count(*) FROM triplets) AS total,
    CASE WHEN count(*) > 0 THEN format('{:,} rows appear more than once', count(*)) END AS detail
FROM offending;
