/*
title = "nn group ids have an infos row"
group = "references"
severity = "warn"
expected = "0 ids without infos"
help = "Every caption and item id of the nn shards should have a row in E-MM1:100M infos; an id without one has no caption or file path (NULL in nn_groups_resolved). The published data has a few: a share that grows after a pull means infos files are missing or from another revision. Group the rows by modality and nn_index for the counts per k."
*/
SELECT g.nn_index, g.encord_text_id, 'text' AS modality, g.encord_text_id AS id
FROM nn_groups AS g ANTI JOIN infos_100m_text AS i ON i.encord_text_id = g.encord_text_id
WHERE g.encord_text_id IS NOT NULL
UNION ALL
SELECT g.nn_index, g.encord_text_id, 'image', g.encord_image_id
FROM nn_groups AS g ANTI JOIN infos_100m_image AS i ON i.encord_image_id = g.encord_image_id
WHERE g.encord_image_id IS NOT NULL
UNION ALL
SELECT g.nn_index, g.encord_text_id, 'audio', g.encord_audio_id
FROM nn_groups AS g ANTI JOIN infos_100m_audio AS i ON i.encord_audio_id = g.encord_audio_id
WHERE g.encord_audio_id IS NOT NULL
UNION ALL
SELECT g.nn_index, g.encord_text_id, 'video', g.encord_video_id
FROM nn_groups AS g ANTI JOIN infos_100m_video AS i ON i.encord_video_id = g.encord_video_id
WHERE g.encord_video_id IS NOT NULL
UNION ALL
SELECT g.nn_index, g.encord_text_id, 'points', g.encord_points_id
FROM nn_groups AS g ANTI JOIN infos_100m_points AS i ON i.encord_points_id = g.encord_points_id
WHERE g.encord_points_id IS NOT NULL
ORDER BY nn_index, encord_text_id, modality;

WITH per_modality AS (
    SELECT modality, count(*) AS n FROM offending GROUP BY ALL
),
per_k AS (
    SELECT g.nn_index, 100.0 * count(o.id) / (5 * any_value(g.rows)) AS share
    FROM (SELECT nn_index, count(*) AS rows FROM nn_groups GROUP BY ALL) AS g
    LEFT JOIN offending AS o USING (nn_index)
    GROUP BY ALL
),
refs AS (
    SELECT count(*) AS rows,
           count(encord_text_id) + count(encord_image_id) + count(encord_audio_id)
           + count(encord_video_id) + count(encord_points_id) AS total
    FROM nn_groups
)
SELECT
    coalesce(sum(n), 0) AS found,
    any_value(refs.total) AS total,
    array_to_string(list(format('{} {:,} ({:.2f}% of rows)', modality, n, 100.0 * n / refs.rows)
        ORDER BY list_position(['text', 'image', 'audio', 'video', 'points'], modality)), '; ')
        || (SELECT format('; per k {:.2f}% to {:.2f}% of ids', min(share), max(share)) FROM per_k) AS detail
FROM refs LEFT JOIN per_modality ON TRUE;
