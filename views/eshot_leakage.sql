-- EShot samples whose source also sits in the training parts: an EShot audio clip whose YouTube
-- video appears in E-MM1:100M or E-MM1:1M audio or video infos with an overlapping time range,
-- and an EShot point cloud whose file_id appears in their points infos. One row per EShot sample
-- and matching infos item. Ranges overlap when each starts before the other ends (clips that
-- only touch do not); a missing start or end leaves a range open on that side (each comparison
-- with a NULL is unknown, and unknown counts as overlapping). Ids resolve within their own part,
-- so each match names its part.
CREATE OR REPLACE VIEW eshot_leakage AS
WITH clips AS (
    SELECT 'e-mm1_100m'::part AS part, 'audio'::modality AS modality, encord_audio_id AS asset_id, source_dataset, youtube_id, start_time, end_time FROM infos_100m_audio WHERE youtube_id IS NOT NULL
    UNION ALL SELECT 'e-mm1_100m'::part, 'video'::modality, encord_video_id, source_dataset, youtube_id, start_time, end_time FROM infos_100m_video WHERE youtube_id IS NOT NULL
    UNION ALL SELECT 'e-mm1_1m'::part, 'audio'::modality, encord_audio_id, source_dataset, youtube_id, start_time, end_time FROM infos_1m_audio WHERE youtube_id IS NOT NULL
    UNION ALL SELECT 'e-mm1_1m'::part, 'video'::modality, encord_video_id, source_dataset, youtube_id, start_time, end_time FROM infos_1m_video WHERE youtube_id IS NOT NULL
),
objects AS (
    SELECT 'e-mm1_100m'::part AS part, 'points'::modality AS modality, encord_points_id AS asset_id, source_dataset, file_id FROM infos_100m_points WHERE file_id IS NOT NULL
    UNION ALL SELECT 'e-mm1_1m'::part, 'points'::modality, encord_points_id, source_dataset, file_id FROM infos_1m_points WHERE file_id IS NOT NULL
)
SELECT
    'audio'::modality AS eshot_modality, e.eshot_audio_id AS eshot_id, c.part, c.modality,
    c.asset_id, c.source_dataset, e.youtube_id, NULL::VARCHAR AS file_id,
    e.start_time AS eshot_start_time, e.end_time AS eshot_end_time, c.start_time, c.end_time
FROM eshot_audio AS e
JOIN clips AS c ON c.youtube_id = e.youtube_id
WHERE coalesce(c.start_time < e.end_time AND e.start_time < c.end_time, TRUE)
UNION ALL
SELECT
    'points'::modality, e.eshot_point_id, o.part, o.modality, o.asset_id, o.source_dataset, NULL, e.file_id,
    NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE
FROM eshot_points AS e
JOIN objects AS o ON o.file_id = e.file_id;
COMMENT ON VIEW eshot_leakage IS 'EShot samples whose YouTube clip (overlapping time range) or 3D object (same file_id) also appears in E-MM1:100M or E-MM1:1M infos: one row per sample and matching item. Exclude them from training with -p exclude_eshot yes.';
COMMENT ON COLUMN eshot_leakage.eshot_modality IS 'audio or points: the EShot side.';
COMMENT ON COLUMN eshot_leakage.eshot_id IS 'eshot_audio_id or eshot_point_id.';
COMMENT ON COLUMN eshot_leakage.part IS 'Training part the match is in: e-mm1_100m or e-mm1_1m.';
COMMENT ON COLUMN eshot_leakage.modality IS 'Modality of the matching item: audio or video (same clip), points (same object).';
COMMENT ON COLUMN eshot_leakage.asset_id IS 'encord_<modality>_id of the matching item within its part.';
COMMENT ON COLUMN eshot_leakage.source_dataset IS 'Source dataset of the matching item.';
COMMENT ON COLUMN eshot_leakage.youtube_id IS 'YouTube id both sides share (audio).';
COMMENT ON COLUMN eshot_leakage.file_id IS 'Object uid both sides share (points).';
COMMENT ON COLUMN eshot_leakage.eshot_start_time IS 'EShot clip start in seconds.';
COMMENT ON COLUMN eshot_leakage.eshot_end_time IS 'EShot clip end in seconds.';
COMMENT ON COLUMN eshot_leakage.start_time IS 'Matching clip start in seconds (NULL: open, from the start of the video).';
COMMENT ON COLUMN eshot_leakage.end_time IS 'Matching clip end in seconds (NULL: open, to the end of the video).';
