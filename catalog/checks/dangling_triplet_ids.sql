/*
title = "Triplet ids have an infos row"
group = "references"
severity = "warn"
expected = "0 ids without infos"
help = "The caption, paired and rated ids of every E-MM1:1M triplet should have a row in E-MM1:1M infos of their modality; an id without one has no caption or file path (NULL in triplets_labeled). The published data has a few: a share that grows after a pull means infos files are missing or from another revision."
*/
WITH refs AS (
    SELECT 'caption' AS side, 'text' AS modality, encord_text_id AS id, * FROM triplets
    UNION ALL
    SELECT 'paired', paired_modality::VARCHAR, encord_paired_id, * FROM triplets
    UNION ALL
    SELECT 'rated', annotated_modality::VARCHAR, encord_annotated_id, * FROM triplets
),
known AS (
    SELECT 'text' AS modality, encord_text_id AS id FROM infos_1m_text
    UNION ALL SELECT 'image', encord_image_id FROM infos_1m_image
    UNION ALL SELECT 'audio', encord_audio_id FROM infos_1m_audio
    UNION ALL SELECT 'video', encord_video_id FROM infos_1m_video
    UNION ALL SELECT 'points', encord_points_id FROM infos_1m_points
)
SELECT
    r.side, r.modality, r.id, r.encord_text_id, r.paired_modality, r.annotated_modality,
    r.encord_paired_id, r.encord_annotated_id, r.annotation
FROM refs AS r ANTI JOIN known AS k ON k.modality = r.modality AND k.id = r.id
WHERE r.id IS NOT NULL
ORDER BY ALL;

WITH per_modality AS (
    SELECT modality, count(*) AS n FROM offending GROUP BY ALL
),
refs AS (
    SELECT count(*) AS rows,
           count(encord_text_id) + count(encord_paired_id) + count(encord_annotated_id) AS total
    FROM triplets
)
SELECT
    coalesce(sum(n), 0) AS found,
    any_value(refs.total) AS total,
    array_to_string(list(format('{} {:,}', modality, n)
        ORDER BY list_position(['text', 'image', 'audio', 'video', 'points'], modality)), '; ') AS detail
FROM refs LEFT JOIN per_modality ON TRUE;
