-- Caption lengths in characters, in 20 bins of equal width up to the 99th percentile; the last
-- bin holds every longer caption.
WITH lengths AS (
    SELECT length(caption) AS n FROM captions WHERE caption IS NOT NULL
),
bin AS (
    SELECT greatest(1, ceil(quantile_cont(n, 0.99) / 20))::BIGINT AS width FROM lengths
)
SELECT least(n // width, 20) * width AS low, least(n // width, 20) = 20 AS open_ended, count(*) AS captions
FROM lengths, bin
GROUP BY ALL
ORDER BY low;
