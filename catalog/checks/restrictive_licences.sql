/*
title = "No licence forbids commercial use or derivatives"
group = "licences"
severity = "warn"
expected = "0 items"
help = "Items and captions whose licence text says non-commercial (NC, NonCommercial, academic or research use only) or no derivatives (ND, NoDerivatives): a model trained on them may not be shippable. Read each licence; `SELECT * FROM licence_summary` gives items per source and licence, and an export's manifest lists the licences of its slice."
*/
WITH items AS (
    SELECT part, modality::VARCHAR AS modality, asset_id AS id, source_dataset, dataset_license FROM assets
    UNION ALL
    SELECT part, 'text', encord_text_id, source_dataset, dataset_license FROM captions
)
SELECT part, modality, id, source_dataset, dataset_license,
    licence_non_commercial(dataset_license) AS non_commercial,
    licence_no_derivatives(dataset_license) AS no_derivatives
FROM items
WHERE licence_non_commercial(dataset_license) OR licence_no_derivatives(dataset_license)
ORDER BY part, modality, id;

WITH per_licence AS (
    SELECT dataset_license, non_commercial, no_derivatives, count(*) AS n FROM offending GROUP BY ALL
)
SELECT
    coalesce(sum(n), 0) AS found,
    (SELECT count(*) FROM assets) + (SELECT count(*) FROM captions) AS total,
    array_to_string(list(format('''{}'': {:,} items ({})', dataset_license, n,
        CASE WHEN non_commercial AND no_derivatives THEN 'non-commercial, no derivatives'
             WHEN non_commercial THEN 'non-commercial' ELSE 'no derivatives' END) ORDER BY n DESC, dataset_license), '; ') AS detail
FROM per_licence;
