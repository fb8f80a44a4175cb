-- After carry_scan.sql: of the assets of the parts and modalities scanned, how many kept their
-- scan result (their infos row did not change) and how many there are.
SELECT count(u.asset_id) AS kept, count(*) AS assets
FROM assets AS a
JOIN file_scans AS s ON s.part = a.part AND s.modality = a.modality
LEFT JOIN unchanged_assets AS u
    ON u.part = a.part AND u.modality = a.modality AND u.asset_id = a.asset_id;
