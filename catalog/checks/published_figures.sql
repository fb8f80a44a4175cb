/*
title = "Files match the published figures"
group = "publisher"
severity = "warn"
expected = "0 files differ"
help = "Each E-MM1:100M file against the publisher's figures: 6,706,765 rows in every nn shard and the bytes of each infos file. A difference is a truncated or partial pull, another revision of the file, or a sample or subset (which is fine). Pull a file again if it should match."
*/
WITH published (n, name, rows, bytes) AS (
    SELECT k, 'nn_' || k || '/data_groups.csv', 6706765, NULL FROM range(1, 17) AS r(k)
    UNION ALL VALUES
        (17, 'infos/text.csv', NULL, 1246793840), (18, 'infos/image.csv', NULL, 612801005),
        (19, 'infos/video.csv', NULL, 457910741), (20, 'infos/audio.csv', NULL, 237744977),
        (21, 'infos/points.csv', NULL, 58992702)
),
found AS (
    SELECT p.n, p.name, p.rows AS published_rows, p.bytes AS published_bytes, f.path, f.rows, f.bytes,
        (SELECT min(s.path) FROM skipped_files AS s
         WHERE s.part = 'e-mm1_100m' AND (s.path = p.name OR s.path LIKE '%/' || p.name)) AS pointer
    FROM published AS p
    LEFT JOIN source_files AS f
        ON f.part = 'e-mm1_100m' AND (f.path = p.name OR f.path LIKE '%/' || p.name)
)
SELECT
    coalesce(path, pointer, name) AS file,
    CASE WHEN pointer IS NOT NULL THEN 'a git LFS pointer, not pulled'
         WHEN path IS NULL THEN 'absent'
         WHEN rows <> published_rows THEN 'rows differ'
         ELSE 'bytes differ' END AS problem,
    rows, published_rows, bytes, published_bytes
FROM found
WHERE path IS NULL OR rows <> published_rows OR bytes <> published_bytes
ORDER BY n;

SELECT
    count(*) AS found,
    21 AS total,
    array_to_string(list(file || ': ' || CASE problem
        WHEN 'rows differ' THEN format('{:,} rows, published {:,}', rows, published_rows)
        WHEN 'bytes differ' THEN format('{:,} bytes, published {:,}', bytes, published_bytes)
        ELSE problem END ORDER BY file)[1:3], '; ')
        || CASE WHEN count(*) > 3 THEN format(' (and {} more)', count(*) - 3) ELSE '' END AS detail
FROM offending;
