/*
title = "EShot samples are not in the training parts"
group = "evaluation"
severity = "warn"
expected = "0 EShot samples"
help = "EShot evaluates zero-shot audio <-> point-cloud retrieval; a sample whose YouTube clip (overlapping time range) or 3D object (same file_id) also sits in E-MM1:100M or E-MM1:1M infos may have been seen in training (view eshot_leakage). Found counts EShot samples; the rows name each matching item. Leave them out of training slices with -p exclude_eshot yes (templates groups and modality_pair)."
*/
SELECT *
FROM eshot_leakage
ORDER BY eshot_modality, eshot_id, part, modality, asset_id;

SELECT
    count(DISTINCT (eshot_modality, eshot_id)) AS found,
    (SELECT count(*) FROM eshot_audio) + (SELECT count(*) FROM eshot_points) AS total,
    CASE WHEN count(*) > 0 THEN format('{:,} audio and {:,} points samples match {:,} items ({:,} in e-mm1_100m, {:,} in e-mm1_1m)',
        count(DISTINCT eshot_id) FILTER (WHERE eshot_modality = 'audio'),
        count(DISTINCT eshot_id) FILTER (WHERE eshot_modality = 'points'),
        count(*), count(*) FILTER (WHERE part = 'e-mm1_100m'), count(*) FILTER (WHERE part = 'e-mm1_1m')) END AS detail
FROM offending;
