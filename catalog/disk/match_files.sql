-- Match the listing of the disk against the assets in scope (scan_inputs.sql), by save_folder
-- and file_name, in every folder. Only whole files (more than 0 bytes) match here;
-- match_incomplete.sql finds the others. `file` is the listing's number of each file, so
-- layout_report.sql counts a file that two assets share once. store_matches.sql files the
-- matches.
CREATE OR REPLACE TEMP TABLE scan_found AS
SELECT a.part, a.modality, a.asset_id, l.folder, l.bytes, l.file
FROM scan_assets($parts, $modalities) AS a
JOIN scan_listing() AS l ON l.save_folder = a.save_folder AND l.file_name = a.file_name
WHERE l.bytes > 0;
