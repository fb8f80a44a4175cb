-- A rebuild keeps the incomplete files (empty, partly downloaded) the last scans found for the
-- assets whose infos row did not change (unchanged_assets, carry_scan.sql).
INSERT INTO incomplete_files BY NAME
SELECT i.* REPLACE (i.part::VARCHAR AS part, i.modality::VARCHAR AS modality)
FROM previous_catalog.incomplete_files AS i
JOIN unchanged_assets AS u
    ON u.part::VARCHAR = i.part::VARCHAR AND u.modality::VARCHAR = i.modality::VARCHAR
   AND u.asset_id = i.asset_id;
