-- Assets whose file is on disk (as of the last `emm1 files scan`).
CREATE OR REPLACE VIEW assets_present AS
SELECT
    a.part, a.modality, a.asset_id, a.source_dataset, a.dataset_license, a.file_id,
    a.youtube_id, a.start_time, a.end_time, a.file_name, a.save_folder, a.file_path, p.bytes
FROM assets AS a
JOIN asset_presence AS p ON p.part = a.part AND p.modality = a.modality AND p.asset_id = a.asset_id
WHERE a.file_path IS NOT NULL;
COMMENT ON VIEW assets_present IS 'Assets whose file the last `emm1 files scan` found at file_path: the assets view plus the file size.';
COMMENT ON COLUMN assets_present.part IS 'Dataset part: e-mm1_100m, e-mm1_1m or eshot.';
COMMENT ON COLUMN assets_present.modality IS 'image, audio, video or points.';
COMMENT ON COLUMN assets_present.asset_id IS 'encord_<modality>_id (or the EShot sample id), unique within (part, modality).';
COMMENT ON COLUMN assets_present.source_dataset IS 'Dataset the item comes from (NULL for EShot).';
COMMENT ON COLUMN assets_present.dataset_license IS 'Licence of the source dataset (NULL for EShot).';
COMMENT ON COLUMN assets_present.file_id IS 'Source id or URL (image, points, VidGen-1M video/audio).';
COMMENT ON COLUMN assets_present.youtube_id IS 'YouTube id (audio and video).';
COMMENT ON COLUMN assets_present.start_time IS 'Clip start in seconds (audio and video).';
COMMENT ON COLUMN assets_present.end_time IS 'Clip end in seconds (audio and video).';
COMMENT ON COLUMN assets_present.file_name IS 'File name below <asset_root>/<save_folder>/<modality folder>/.';
COMMENT ON COLUMN assets_present.save_folder IS 'Top folder under the asset root.';
COMMENT ON COLUMN assets_present.file_path IS 'Where the file is.';
COMMENT ON COLUMN assets_present.bytes IS 'File size in bytes at scan time.';
