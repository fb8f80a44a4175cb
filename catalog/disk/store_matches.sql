-- File the scan's whole matches (match_files.sql): each makes its asset present. The temporary
-- table stays for layout_report.sql, and goes with the connection.
INSERT INTO asset_files
SELECT part, modality, asset_id, folder, bytes
FROM scan_found;
