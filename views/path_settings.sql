-- One row: the asset root and the folder of each modality, read from `settings`. The build
-- stores every asset's path from this row (stored_path, below), and `emm1 config set`
-- stores them again after a change, so every path in every view follows.
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
-- The whole path the build stores for an asset (resolved_file_path) under the asset root in
-- force; here rather than in asset_path.sql because DuckDB binds the view it reads when the
-- macro is created.
CREATE OR REPLACE MACRO stored_path(save_folder, folder, file_name) AS under_root(
    (SELECT asset_root FROM path_settings), path_below_root(save_folder, folder, file_name)
);
COMMENT ON MACRO stored_path IS '<asset_root>/<save_folder>/<folder>/<file_name> with the asset root in force, or NULL when save_folder or file_name is unsafe: what resolved_file_path stores.';
