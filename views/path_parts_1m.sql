-- E-MM1:1M assets of the four modalities in one table, with the parts their file path is made
-- of: under_root(asset_root, file_path_below_root) is the path the views give (the asset
-- tables store it as resolved_file_path; the part below the root is computed here). Each
-- branch types its modality literal: one untyped 'audio' makes the column VARCHAR, a join
-- then compares through a cast and a modality filter no longer reaches the one table it needs.
CREATE OR REPLACE VIEW path_parts_1m AS
SELECT 'image'::modality AS modality, encord_image_id AS asset_id, s.asset_root, save_folder, s.image_folder AS folder, file_name, path_below_root(save_folder, s.image_folder, file_name) AS file_path_below_root FROM infos_1m_image, path_settings AS s
UNION ALL SELECT 'audio'::modality, encord_audio_id, s.asset_root, save_folder, s.audio_folder, file_name, path_below_root(save_folder, s.audio_folder, file_name) FROM infos_1m_audio, path_settings AS s
UNION ALL SELECT 'video'::modality, encord_video_id, s.asset_root, save_folder, s.video_folder, file_name, path_below_root(save_folder, s.video_folder, file_name) FROM infos_1m_video, path_settings AS s
UNION ALL SELECT 'points'::modality, encord_points_id, s.asset_root, save_folder, s.points_folder, file_name, path_below_root(save_folder, s.points_folder, file_name) FROM infos_1m_points, path_settings AS s;
COMMENT ON VIEW path_parts_1m IS 'E-MM1:1M: every image, audio, video and point cloud with the parts of its file path; under_root(asset_root, file_path_below_root) is the path.';
COMMENT ON COLUMN path_parts_1m.modality IS 'image, audio, video or points.';
COMMENT ON COLUMN path_parts_1m.asset_id IS 'encord_<modality>_id within E-MM1:1M.';
COMMENT ON COLUMN path_parts_1m.asset_root IS 'Folder the media were downloaded into (from settings).';
COMMENT ON COLUMN path_parts_1m.save_folder IS 'Top folder under the asset root.';
COMMENT ON COLUMN path_parts_1m.folder IS 'Folder of this modality below <asset_root>/<save_folder>/ (from settings).';
COMMENT ON COLUMN path_parts_1m.file_name IS 'File name below <asset_root>/<save_folder>/<folder>/.';
COMMENT ON COLUMN path_parts_1m.file_path_below_root IS 'save_folder/folder/file_name (folder from settings); NULL if save_folder or file_name is unsafe (absolute or containing ..).';
