-- nn_groups_resolved with, per modality, whether that neighbour's file is on disk. A group id
-- with no infos row, an unsafe name or an unscanned modality counts as not present.
CREATE OR REPLACE VIEW nn_groups_present AS
WITH found AS (
    SELECT modality, asset_id FROM asset_presence WHERE part = 'e-mm1_100m'
)
SELECT
    r.*,
    i.asset_id IS NOT NULL AS image_present,
    a.asset_id IS NOT NULL AS audio_present,
    v.asset_id IS NOT NULL AS video_present,
    p.asset_id IS NOT NULL AS points_present
FROM nn_groups_resolved AS r
LEFT JOIN found AS i ON i.modality = 'image' AND i.asset_id = r.encord_image_id
LEFT JOIN found AS a ON a.modality = 'audio' AND a.asset_id = r.encord_audio_id
LEFT JOIN found AS v ON v.modality = 'video' AND v.asset_id = r.encord_video_id
LEFT JOIN found AS p ON p.modality = 'points' AND p.asset_id = r.encord_points_id;
COMMENT ON VIEW nn_groups_present IS 'nn_groups_resolved plus one flag per modality: is that neighbour''s file on disk (last `emm1 files scan`). Filter on the flags of the modalities you need.';
COMMENT ON COLUMN nn_groups_present.encord_text_id IS 'Caption id (E-MM1:100M text).';
COMMENT ON COLUMN nn_groups_present.nn_index IS 'k: rank of the neighbours in this row, 1 = nearest.';
COMMENT ON COLUMN nn_groups_present.caption IS 'Caption text; NULL if the id has no row in text infos.';
COMMENT ON COLUMN nn_groups_present.encord_image_id IS 'k-th nearest image id.';
COMMENT ON COLUMN nn_groups_present.encord_audio_id IS 'k-th nearest audio id.';
COMMENT ON COLUMN nn_groups_present.encord_video_id IS 'k-th nearest video id.';
COMMENT ON COLUMN nn_groups_present.encord_points_id IS 'k-th nearest point cloud id.';
COMMENT ON COLUMN nn_groups_present.image_file_path IS 'Path of the image file; NULL if the id has no infos row or an unsafe name.';
COMMENT ON COLUMN nn_groups_present.audio_file_path IS 'Path of the audio file; NULL if the id has no infos row or an unsafe name.';
COMMENT ON COLUMN nn_groups_present.video_file_path IS 'Path of the video file; NULL if the id has no infos row or an unsafe name.';
COMMENT ON COLUMN nn_groups_present.points_file_path IS 'Path of the point cloud file; NULL if the id has no infos row or an unsafe name.';
COMMENT ON COLUMN nn_groups_present.image_present IS 'The image file is on disk.';
COMMENT ON COLUMN nn_groups_present.audio_present IS 'The audio file is on disk.';
COMMENT ON COLUMN nn_groups_present.video_present IS 'The video file is on disk.';
COMMENT ON COLUMN nn_groups_present.points_present IS 'The point cloud file is on disk.';
