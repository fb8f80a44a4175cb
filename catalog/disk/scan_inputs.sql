-- The two sides a scan matches (match_files.sql, match_incomplete.sql), as table macros so
-- that both read them the same way. scan_assets: the assets of the parts and modalities
-- scanned whose names are safe (unsafe_name: a row without a safe path is never matched, and
-- the test is the macro's own, so no path string is built per asset). scan_listing: every
-- listed file (registered Arrow tables listing_files and listing_dirs: every file below
-- <root>/<save_folder>/<folder>/) with its name below that folder; `file` is its number in
-- the listing.
CREATE OR REPLACE TEMP MACRO scan_assets(parts, modalities) AS TABLE
SELECT part, modality, asset_id, save_folder, file_name
FROM assets
WHERE list_contains(parts, part::VARCHAR)
  AND list_contains(modalities, modality::VARCHAR)
  AND NOT (unsafe_name(save_folder) OR unsafe_name(file_name));

CREATE OR REPLACE TEMP MACRO scan_listing() AS TABLE
SELECT
    d.save_folder,
    d.folder,
    CASE WHEN d.subdir = '' THEN f.name ELSE concat(d.subdir, '/', f.name) END AS file_name,
    f.name,
    f.bytes,
    f.file
FROM listing_files AS f
JOIN listing_dirs AS d ON d.dir_id = f.dir_id;
