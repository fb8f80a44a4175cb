-- Assets on disk under the folder the layout names now: a scan records every folder a file
-- was found in, so `emm1 config set layout.<modality>` moves presence too, without a rescan.
CREATE OR REPLACE VIEW asset_presence AS
WITH folders AS (
    SELECT unnest(['image', 'audio', 'video', 'points'])::modality AS modality,
           unnest([image_folder, audio_folder, video_folder, points_folder]) AS folder
    FROM path_settings
)
SELECT f.part, f.modality, f.asset_id, f.bytes
FROM asset_files AS f
JOIN folders AS l ON l.modality = f.modality AND l.folder = f.folder;
COMMENT ON VIEW asset_presence IS 'Assets whose file the last scan found in the folder the layout setting names now (one row per present asset).';
COMMENT ON COLUMN asset_presence.part IS 'Dataset part of the asset.';
COMMENT ON COLUMN asset_presence.modality IS 'Modality of the asset.';
COMMENT ON COLUMN asset_presence.asset_id IS 'Asset id, unique within (part, modality).';
COMMENT ON COLUMN asset_presence.bytes IS 'File size in bytes at scan time.';
