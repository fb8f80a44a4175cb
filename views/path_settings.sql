-- One row: the asset root and the folder of each modality, read from `settings` at query time.
-- Every path in every view is built from this row, so `emm1 config set` moves them all.
CREATE OR REPLACE VIEW path_settings AS
SELECT
    rtrim(any_value(value) FILTER (WHERE key = 'asset_root'), '/') AS asset_root,
    coalesce(any_value(value) FILTER (WHERE key = 'layout.image'), 'image') AS image_folder,
    coalesce(any_value(value) FILTER (WHERE key = 'layout.audio'), 'audio') AS audio_folder,
    coalesce(any_value(value) FILTER (WHERE key = 'layout.video'), 'video') AS video_folder,
    coalesce(any_value(value) FILTER (WHERE key = 'layout.points'), 'points') AS points_folder
FROM settings;
COMMENT ON VIEW path_settings IS 'The asset root and per-modality folders that every file path is built from (from settings).';
COMMENT ON COLUMN path_settings.asset_root IS 'Folder the media were downloaded into (ROOT_DATA_PATH), without a trailing /.';
COMMENT ON COLUMN path_settings.image_folder IS 'Folder name images are stored under, below <asset_root>/<save_folder>/.';
COMMENT ON COLUMN path_settings.audio_folder IS 'Folder name audio is stored under, below <asset_root>/<save_folder>/.';
COMMENT ON COLUMN path_settings.video_folder IS 'Folder name videos are stored under, below <asset_root>/<save_folder>/.';
COMMENT ON COLUMN path_settings.points_folder IS 'Folder name point clouds are stored under, below <asset_root>/<save_folder>/.';
