-- Files on disk per scanned part and modality (the last `emm1 files scan`).
SELECT part, modality, sum(expected)::BIGINT AS expected, sum(present)::BIGINT AS present,
       sum(bytes)::BIGINT AS bytes
FROM file_coverage
GROUP BY ALL
ORDER BY part, modality;
