/*
title = "Each caption once per nn shard"
group = "structure"
severity = "fail"
expected = "0 captions repeated"
help = "An nn shard holds one row per caption. A caption repeated within a shard means rows were appended twice or files of different revisions were mixed: pull the shard again."
*/
-- One pass over every shard finds the captions with more rows than shards (a bit per shard),
-- only their rows are then counted per shard.
WITH repeated AS (
    SELECT encord_text_id
    FROM nn_groups
    GROUP BY ALL
    HAVING count(*) > bit_count(bit_or(1::HUGEINT << (nn_index - 1)::HUGEINT))
)
SELECT nn_index, encord_text_id, count(*) AS copies
FROM nn_groups
WHERE encord_text_id IN (SELECT encord_text_id FROM repeated)
GROUP BY ALL
HAVING count(*) > 1
ORDER BY ALL;

SELECT
    count(*) AS found,
    NULL AS total,
    array_to_string(list(format('nn_{} caption {} ({} rows)', nn_index, encord_text_id, copies)
                         ORDER BY nn_index, encord_text_id)[1:3], '; ')
        || CASE WHEN count(*) > 3 THEN format(' (and {} more)', count(*) - 3) ELSE '' END AS detail
FROM offending;
