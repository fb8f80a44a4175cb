-- E-MM1:100M groups with the caption and the file path of each neighbour. Left joins: an id
-- with no infos row keeps its group row and gets a NULL path. Each asset table stores its
-- file's whole path (resolved_file_path: the asset root and the path below it, NULL for an
-- unsafe name; `emm1 config set` rewrites it), so no path is made or checked per row.
CREATE OR REPLACE VIEW nn_groups_resolved AS
SELECT
    g.encord_text_id,
    g.nn_index,
    t.caption,
    g.encord_image_id,
    g.encord_audio_id,
    g.encord_video_id,
    g.encord_points_id,
    i.resolved_file_path AS image_file_path,
    a.resolved_file_path AS audio_file_path,
    v.resolved_file_path AS video_file_path,
    p.resolved_file_path AS points_file_path
FROM nn_groups AS g
LEFT JOIN infos_100m_text AS t ON t.encord_text_id = g.encord_text_id
LEFT JOIN infos_100m_image AS i ON i.encord_image_id = g.encord_image_id
LEFT JOIN infos_100m_audio AS a ON a.encord_audio_id = g.encord_audio_id
LEFT JOIN infos_100m_video AS v ON v.encord_video_id = g.encord_video_id
LEFT JOIN infos_100m_points AS p ON p.encord_points_id = g.encord_points_id;
COMMENT ON VIEW nn_groups_resolved IS 'E-MM1:100M: one row per nn shard row, with the caption and the four file paths (ROOT/save_folder/modality/file_name).';
COMMENT ON COLUMN nn_groups_resolved.encord_text_id IS 'Caption id (E-MM1:100M text).';
COMMENT ON COLUMN nn_groups_resolved.nn_index IS 'k: rank of the neighbours in this row, 1 = nearest.';
COMMENT ON COLUMN nn_groups_resolved.caption IS 'Caption text; NULL if the id has no row in text infos.';
COMMENT ON COLUMN nn_groups_resolved.encord_image_id IS 'k-th nearest image id.';
COMMENT ON COLUMN nn_groups_resolved.encord_audio_id IS 'k-th nearest audio id.';
COMMENT ON COLUMN nn_groups_resolved.encord_video_id IS 'k-th nearest video id.';
COMMENT ON COLUMN nn_groups_resolved.encord_points_id IS 'k-th nearest point cloud id.';
COMMENT ON COLUMN nn_groups_resolved.image_file_path IS 'Path of the image file; NULL if the id has no infos row or an unsafe name.';
COMMENT ON COLUMN nn_groups_resolved.audio_file_path IS 'Path of the audio file; NULL if the id has no infos row or an unsafe name.';
COMMENT ON COLUMN nn_groups_resolved.video_file_path IS 'Path of the video file; NULL if the id has no infos row or an unsafe name.';
COMMENT ON COLUMN nn_groups_resolved.points_file_path IS 'Path of the point cloud file; NULL if the id has no infos row or an unsafe name.';
