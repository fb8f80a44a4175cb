-- Assets of the scanned parts and modalities whose file is not on disk: what to download.
-- Parts and modalities never scanned are in neither assets_present nor assets_missing; rows
-- without a safe path are in unsafe_assets.
CREATE OR REPLACE VIEW assets_missing AS
SELECT
    a.part, a.modality, a.asset_id, a.source_dataset, a.dataset_license, a.file_id,
    a.youtube_id, a.start_time, a.end_time, a.file_name, a.save_folder, a.file_path
FROM assets AS a
WHERE a.file_path IS NOT NULL
  AND EXISTS (SELECT 1 FROM file_scans AS s WHERE s.part = a.part AND s.modality = a.modality)
  AND NOT EXISTS (
      SELECT 1 FROM asset_presence AS p
      WHERE p.part = a.part AND p.modality = a.modality AND p.asset_id = a.asset_id
  );
COMMENT ON VIEW assets_missing IS 'Assets of the scanned parts and modalities whose file the last `emm1 files scan` did not find: file_path is where to put it.';
COMMENT ON COLUMN assets_missing.part IS 'Dataset part: e-mm1_100m, e-mm1_1m or eshot.';
COMMENT ON COLUMN assets_missing.modality IS 'image, audio, video or points.';
COMMENT ON COLUMN assets_missing.asset_id IS 'encord_<modality>_id (or the EShot sample id), unique within (part, modality).';
COMMENT ON COLUMN assets_missing.source_dataset IS 'Dataset the item comes from (NULL for EShot).';
COMMENT ON COLUMN assets_missing.dataset_license IS 'Licence of the source dataset (NULL for EShot).';
COMMENT ON COLUMN assets_missing.file_id IS 'Source id or URL (image, points, VidGen-1M video/audio).';
COMMENT ON COLUMN assets_missing.youtube_id IS 'YouTube id (audio and video).';
COMMENT ON COLUMN assets_missing.start_time IS 'Clip start in seconds (audio and video).';
COMMENT ON COLUMN assets_missing.end_time IS 'Clip end in seconds (audio and video).';
COMMENT ON COLUMN assets_missing.file_name IS 'File name below <asset_root>/<save_folder>/<modality folder>/.';
COMMENT ON COLUMN assets_missing.save_folder IS 'Top folder under the asset root.';
COMMENT ON COLUMN assets_missing.file_path IS 'Where the file belongs.';
