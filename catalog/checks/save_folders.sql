/*
title = "save_folder is a documented folder"
group = "references"
severity = "fail"
expected = "0 rows outside"
help = "The save_folder of every E-MM1:100M and E-MM1:1M infos row is one of e-mm1_100m_only, e-mm1_1m_only or shared: the folders the download fills. Another value gives a path where no file will be. Check the infos file against the dataset repository."
*/
SELECT part, modality, asset_id, source_dataset, save_folder, file_name
FROM assets
WHERE part IN ('e-mm1_100m', 'e-mm1_1m')
  AND coalesce(save_folder NOT IN ('e-mm1_100m_only', 'e-mm1_1m_only', 'shared'), TRUE)
ORDER BY part, modality, asset_id;

SELECT
    count(*) AS found,
    (SELECT count(*) FROM assets WHERE part IN ('e-mm1_100m', 'e-mm1_1m')) AS total,
    array_to_string(list(DISTINCT coalesce('''' || save_folder || '''', 'empty') ORDER BY coalesce('''' || save_folder || '''', 'empty'))[1:5], ', ') AS detail
FROM offending;
