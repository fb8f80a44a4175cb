-- For `emm1 info`: the last scan and how much of what it covered is on disk.
SELECT
    (SELECT max(scanned_at) FROM file_scans) AS scanned_at,
    (SELECT arg_max(asset_root, scanned_at) FROM file_scans) AS asset_root,
    coalesce(sum(present), 0)::BIGINT AS present,
    coalesce(sum(expected), 0)::BIGINT AS expected,
    coalesce(sum(bytes), 0)::BIGINT AS bytes
FROM file_coverage;
