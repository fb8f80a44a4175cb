-- Files on disk per scanned part and modality (last `emm1 files scan`).
SELECT c.part, c.modality, sum(c.expected)::BIGINT AS expected, sum(c.present)::BIGINT AS present,
       sum(c.unsafe)::BIGINT AS unsafe, sum(c.bytes)::BIGINT AS bytes,
       any_value(s.scanned_at) AS scanned_at, any_value(s.asset_root) AS asset_root
FROM file_coverage AS c
JOIN file_scans AS s ON s.part = c.part AND s.modality = c.modality
GROUP BY ALL
ORDER BY c.part, c.modality;
