-- Infos rows whose save_folder or file_name cannot give a path inside the asset root. They get
-- no file_path anywhere, so they are never joined to a file; this view says which and why.
CREATE OR REPLACE VIEW unsafe_assets AS
SELECT
    part, modality, asset_id, source_dataset, save_folder, file_name,
    CASE
        WHEN save_folder IS NULL THEN 'no save_folder'
        WHEN file_name IS NULL THEN 'no file_name'
        WHEN starts_with(save_folder, '/') THEN 'save_folder is an absolute path'
        WHEN contains(save_folder, '..') THEN 'save_folder contains ..'
        WHEN starts_with(file_name, '/') THEN 'file_name is an absolute path'
        ELSE 'file_name contains ..'
    END AS reason
FROM assets
WHERE file_path IS NULL;
COMMENT ON VIEW unsafe_assets IS 'Assets with no safe path: a save_folder or file_name that is empty, absolute or contains "..". They are never matched to files on disk.';
COMMENT ON COLUMN unsafe_assets.part IS 'Dataset part: e-mm1_100m, e-mm1_1m or eshot.';
COMMENT ON COLUMN unsafe_assets.modality IS 'image, audio, video or points.';
COMMENT ON COLUMN unsafe_assets.asset_id IS 'Asset id, unique within (part, modality).';
COMMENT ON COLUMN unsafe_assets.source_dataset IS 'Dataset the item comes from (NULL for EShot).';
COMMENT ON COLUMN unsafe_assets.save_folder IS 'save_folder as the infos file has it.';
COMMENT ON COLUMN unsafe_assets.file_name IS 'file_name as the infos file has it.';
COMMENT ON COLUMN unsafe_assets.reason IS 'Why no path is built.';
