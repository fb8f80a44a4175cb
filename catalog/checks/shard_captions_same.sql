/*
title = "Every nn shard has every caption"
group = "structure"
severity = "fail"
expected = "0 captions missing"
help = "Every nn shard present holds the same captions, and every caption of E-MM1:100M text infos: a caption missing from a shard means a truncated pull or shards of different revisions. Only the shards present are compared; absent shards show under published_figures."
*/
-- One bit per shard: a caption's bits say which shards hold it (one pass over every shard), and
-- a caption lacking a shard's bit is missing from that shard. Captions of text infos in no
-- shard have no bits at all.
WITH shards AS (
    SELECT DISTINCT nn_index AS k, 1::HUGEINT << (nn_index - 1)::HUGEINT AS bit FROM nn_groups
),
per_caption AS (
    SELECT encord_text_id, bit_or(1::HUGEINT << (nn_index - 1)::HUGEINT) AS bits
    FROM nn_groups
    GROUP BY ALL
),
captions AS (
    SELECT encord_text_id, bits FROM per_caption
    UNION ALL
    SELECT t.encord_text_id, 0::HUGEINT FROM infos_100m_text AS t ANTI JOIN per_caption AS p USING (encord_text_id)
)
SELECT s.k AS nn_index, c.encord_text_id, 'missing from this shard' AS problem
FROM captions AS c
JOIN shards AS s ON c.bits & s.bit = 0
ORDER BY ALL;

WITH per_shard AS (SELECT nn_index, count(*) AS n FROM offending GROUP BY ALL)
SELECT
    coalesce(sum(n), 0) AS found,
    NULL AS total,
    array_to_string(list(format('nn_{}: {:,} missing', nn_index, n) ORDER BY nn_index)[1:4], '; ')
        || CASE WHEN count(*) > 4 THEN format(' (and {} more shards)', count(*) - 4) ELSE '' END AS detail
FROM per_shard;
