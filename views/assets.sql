-- Every asset of every part in one long table: E-MM1:100M and E-MM1:1M infos, and EShot. The
-- path is the one the build stored (resolved_file_path, NULL for an unsafe name).
CREATE OR REPLACE VIEW assets AS
WITH infos AS (
    SELECT 'e-mm1_100m'::part AS part, 'image'::modality AS modality, encord_image_id AS asset_id, source_dataset, dataset_license, file_id, NULL::VARCHAR AS youtube_id, NULL::DOUBLE AS start_time, NULL::DOUBLE AS end_time, file_name, save_folder, resolved_file_path FROM infos_100m_image
    UNION ALL SELECT 'e-mm1_100m', 'audio', encord_audio_id, source_dataset, dataset_license, file_id, youtube_id, start_time, end_time, file_name, save_folder, resolved_file_path FROM infos_100m_audio
    UNION ALL SELECT 'e-mm1_100m', 'video', encord_video_id, source_dataset, dataset_license, file_id, youtube_id, start_time, end_time, file_name, save_folder, resolved_file_path FROM infos_100m_video
    UNION ALL SELECT 'e-mm1_100m', 'points', encord_points_id, source_dataset, dataset_license, file_id, NULL, NULL, NULL, file_name, save_folder, resolved_file_path FROM infos_100m_points
    UNION ALL SELECT 'e-mm1_1m', 'image', encord_image_id, source_dataset, dataset_license, file_id, NULL, NULL, NULL, file_name, save_folder, resolved_file_path FROM infos_1m_image
    UNION ALL SELECT 'e-mm1_1m', 'audio', encord_audio_id, source_dataset, dataset_license, file_id, youtube_id, start_time, end_time, file_name, save_folder, resolved_file_path FROM infos_1m_audio
    UNION ALL SELECT 'e-mm1_1m', 'video', encord_video_id, source_dataset, dataset_license, file_id, youtube_id, start_time, end_time, file_name, save_folder, resolved_file_path FROM infos_1m_video
    UNION ALL SELECT 'e-mm1_1m', 'points', encord_points_id, source_dataset, dataset_license, file_id, NULL, NULL, NULL, file_name, save_folder, resolved_file_path FROM infos_1m_points
    UNION ALL SELECT 'eshot', 'audio', eshot_audio_id, NULL, NULL, NULL, youtube_id, start_time, end_time, file_name, save_folder, resolved_file_path FROM eshot_audio
    UNION ALL SELECT 'eshot', 'points', eshot_point_id, NULL, NULL, file_id, NULL, NULL, NULL, file_name, save_folder, resolved_file_path FROM eshot_points
)
SELECT
    i.part, i.modality, i.asset_id, i.source_dataset, i.dataset_license, i.file_id,
    i.youtube_id, i.start_time, i.end_time, i.file_name, i.save_folder,
    i.resolved_file_path AS file_path
FROM infos AS i;
COMMENT ON VIEW assets IS 'Every asset of every part (E-MM1:100M, E-MM1:1M, EShot): one row per infos row, with its file path. Ids are unique per (part, modality) only.';
COMMENT ON COLUMN assets.part IS 'Dataset part: e-mm1_100m, e-mm1_1m or eshot.';
COMMENT ON COLUMN assets.modality IS 'image, audio, video or points.';
COMMENT ON COLUMN assets.asset_id IS 'encord_<modality>_id (or the EShot sample id), unique within (part, modality).';
COMMENT ON COLUMN assets.source_dataset IS 'Dataset the item comes from (NULL for EShot).';
COMMENT ON COLUMN assets.dataset_license IS 'Licence of the source dataset (NULL for EShot).';
COMMENT ON COLUMN assets.file_id IS 'Source id or URL (image, points, VidGen-1M video/audio).';
COMMENT ON COLUMN assets.youtube_id IS 'YouTube id (audio and video).';
COMMENT ON COLUMN assets.start_time IS 'Clip start in seconds (audio and video).';
COMMENT ON COLUMN assets.end_time IS 'Clip end in seconds (audio and video).';
COMMENT ON COLUMN assets.file_name IS 'File name below <asset_root>/<save_folder>/<modality folder>/.';
COMMENT ON COLUMN assets.save_folder IS 'Top folder under the asset root.';
COMMENT ON COLUMN assets.file_path IS 'Where the file lives: <asset_root>/<save_folder>/<modality folder>/<file_name>; NULL if save_folder or file_name is unsafe (see unsafe_assets).';
