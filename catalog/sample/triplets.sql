-- triplets.csv (current schema): (caption, paired item, rated candidate, rating). Pairs are
-- the four published ones in both directions; every 53rd row is repeated (exact duplicates);
-- a few candidate ids point past the end of their infos file.
WITH base AS (
    SELECT i, pick([['audio', 'points'], ['points', 'audio'], ['image', 'points'], ['points', 'image'],
                    ['video', 'points'], ['points', 'video'], ['audio', 'image'], ['image', 'audio']],
                   mix2(i, $seed + 21)) AS pair
    FROM range($n) AS r(i)
),
rows AS (
    SELECT
        i,
        spaced_id(mix2(i, $seed + 22) % $n_text, gap_of('text')) AS encord_text_id,
        pair[1] AS paired_modality,
        pair[2] AS annotated_modality,
        spaced_id(mix2(i, $seed + 23) % $n_assets, gap_of(pair[1])) AS encord_paired_id,
        spaced_id(CASE WHEN mix2(i, $seed + 24) % 89 = 0 THEN $n_assets + i % 3
                       ELSE mix2(i, $seed + 25) % $n_assets END, gap_of(pair[2])) AS encord_annotated_id,
        1 + mix2(i, $seed + 26) % 3 AS annotation
    FROM base
)
SELECT * EXCLUDE (i) FROM (
    SELECT * FROM rows
    UNION ALL
    SELECT * FROM rows WHERE i % 53 = 0
)
ORDER BY i;
