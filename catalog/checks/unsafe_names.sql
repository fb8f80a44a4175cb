/*
title = "File names stay inside the asset root"
group = "references"
severity = "fail"
expected = "0 unsafe names"
help = "A save_folder or file_name that is empty, absolute or contains '..' could name a file outside the asset root, so such a row gets no path and is never matched to a file (view unsafe_assets). Fix the infos file, or leave these items out."
*/
SELECT part, modality, asset_id, source_dataset, save_folder, file_name, reason
FROM unsafe_assets
ORDER BY part, modality, asset_id;

SELECT
    count(*) AS found,
    (SELECT count(*) FROM assets) AS total,
    array_to_string(list(format('{} {} {}: {}', part, modality, asset_id, reason) ORDER BY part, modality, asset_id)[1:3], '; ')
        || CASE WHEN count(*) > 3 THEN format(' (and {} more)', count(*) - 3) ELSE '' END AS detail
FROM offending;
