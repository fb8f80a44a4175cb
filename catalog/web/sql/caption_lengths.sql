-- Caption length in characters, per part, in bins of $width characters; the last bin holds every
-- caption of $last_bin characters or more.
SELECT c.part, least(length(c.caption) // $width * $width, $last_bin) AS length_from, count(*) AS captions
FROM captions AS c
GROUP BY ALL
ORDER BY c.part, length_from;
