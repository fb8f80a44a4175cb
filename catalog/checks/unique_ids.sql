/*
title = "Ids unique per part and modality"
group = "structure"
severity = "fail"
expected = "0 ids repeated"
help = "encord_<modality>_id (and the EShot sample id) names one item within its part and modality; the build refuses a file that repeats one, so a repeat here means the catalog was changed after it was built. Rebuild it."
*/
WITH ids AS (
    SELECT part, modality::VARCHAR AS modality, asset_id AS id FROM assets
    UNION ALL
    SELECT part, 'text', encord_text_id FROM captions
)
SELECT part, modality, id, count(*) AS copies
FROM ids
WHERE id IS NOT NULL
GROUP BY ALL
HAVING count(*) > 1
ORDER BY ALL;

SELECT
    count(*) AS found,
    NULL AS total,
    array_to_string(list(format('{} {} {} ({} rows)', part, modality, id, copies) ORDER BY part, modality, id)[1:3], '; ')
        || CASE WHEN count(*) > 3 THEN format(' (and {} more)', count(*) - 3) ELSE '' END AS detail
FROM offending;
