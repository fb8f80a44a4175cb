-- A rebuild keeps what the file scans of the catalog it replaces (attached read-only as
-- previous_catalog) found, for the assets whose infos row did not change: the same part,
-- modality, id, file_name and save_folder. The others are dropped: whether their file is on
-- disk is known again after the next `emm1 files scan`. An empty file never counts as present.
CREATE OR REPLACE TEMP TABLE unchanged_assets AS
SELECT n.part, n.modality, n.asset_id
FROM assets AS n
JOIN previous_catalog.assets AS o
    ON o.part::VARCHAR = n.part::VARCHAR AND o.modality::VARCHAR = n.modality::VARCHAR
   AND o.asset_id = n.asset_id AND o.file_name = n.file_name AND o.save_folder = n.save_folder;

INSERT INTO file_scans BY NAME
SELECT * REPLACE (part::VARCHAR AS part, modality::VARCHAR AS modality)
FROM previous_catalog.file_scans;

INSERT INTO asset_files BY NAME
SELECT f.* REPLACE (f.part::VARCHAR AS part, f.modality::VARCHAR AS modality)
FROM previous_catalog.asset_files AS f
JOIN unchanged_assets AS u
    ON u.part::VARCHAR = f.part::VARCHAR AND u.modality::VARCHAR = f.modality::VARCHAR
   AND u.asset_id = f.asset_id
WHERE f.bytes > 0;
