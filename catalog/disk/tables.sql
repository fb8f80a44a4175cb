-- What `emm1 files scan` found on disk. Created empty by the build (and by a scan of a catalog
-- built before these tables existed); each scan replaces the rows of the parts and modalities
-- it covered.
CREATE TABLE IF NOT EXISTS asset_files (
    part part, modality modality, asset_id INTEGER, folder VARCHAR, bytes BIGINT
);
COMMENT ON TABLE asset_files IS 'Catalog assets whose whole file (more than 0 bytes) the last scan found on disk: one row per asset and modality folder holding it (<asset_root>/<save_folder>/<folder>/<file_name>).';
COMMENT ON COLUMN asset_files.part IS 'Dataset part of the asset.';
COMMENT ON COLUMN asset_files.modality IS 'Modality of the asset.';
COMMENT ON COLUMN asset_files.asset_id IS 'Asset id, unique within (part, modality).';
COMMENT ON COLUMN asset_files.folder IS 'Folder below <asset_root>/<save_folder>/ the file was found in (image, audio, video, points, point-clouds, ...).';
COMMENT ON COLUMN asset_files.bytes IS 'File size in bytes at scan time.';

CREATE TABLE IF NOT EXISTS file_scans (
    part part, modality modality, scanned_at TIMESTAMP, asset_root VARCHAR,
    seconds DOUBLE, files_listed BIGINT
);
COMMENT ON TABLE file_scans IS 'When each (part, modality) was last scanned on disk, and where; presence is known only for these.';
COMMENT ON COLUMN file_scans.part IS 'Dataset part scanned.';
COMMENT ON COLUMN file_scans.modality IS 'Modality scanned.';
COMMENT ON COLUMN file_scans.scanned_at IS 'When the scan ran (UTC).';
COMMENT ON COLUMN file_scans.asset_root IS 'Folder that was scanned.';
COMMENT ON COLUMN file_scans.seconds IS 'Seconds the scan took (listing and matching).';
COMMENT ON COLUMN file_scans.files_listed IS 'Files listed on disk by that scan.';

CREATE TABLE IF NOT EXISTS incomplete_files (
    part part, modality modality, asset_id INTEGER, folder VARCHAR, path VARCHAR,
    bytes BIGINT, reason VARCHAR
);
COMMENT ON TABLE incomplete_files IS 'Files the last scan found for an asset that are not a whole file: empty (0 bytes), or a partial download (the file name with .part, .tmp or .ytdl added). They do not make the asset present: download it again and delete these.';
COMMENT ON COLUMN incomplete_files.part IS 'Dataset part of the asset.';
COMMENT ON COLUMN incomplete_files.modality IS 'Modality of the asset.';
COMMENT ON COLUMN incomplete_files.asset_id IS 'Asset id, unique within (part, modality).';
COMMENT ON COLUMN incomplete_files.folder IS 'Folder below <asset_root>/<save_folder>/ the file is in.';
COMMENT ON COLUMN incomplete_files.path IS 'The file on disk, below the folder that was scanned.';
COMMENT ON COLUMN incomplete_files.bytes IS 'File size in bytes at scan time.';
COMMENT ON COLUMN incomplete_files.reason IS 'empty file, or partial download (.part, .tmp or .ytdl).';
