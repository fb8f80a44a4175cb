-- Deterministic pseudo-randomness for the synthetic dataset: pure integer arithmetic, so the
-- same seed gives the same files on every machine and DuckDB version.
-- A Lehmer step, an xorshift to break its linearity, and a second Lehmer step.
CREATE MACRO lehmer(x, a) AS ((((x::BIGINT % 2147483647) + 2147483647) % 2147483647) * a) % 2147483647;
CREATE MACRO mix(x) AS lehmer(xor(lehmer(x, 48271), lehmer(x, 48271) >> 11), 16807);
CREATE MACRO mix2(x, salt) AS mix(mix(x) + salt * 7919);
-- One element of a list, chosen by x.
CREATE MACRO pick(items, x) AS items[1 + (x % len(items))::INTEGER];
-- The j-th id of a sequence with about `gap` % holes: realistic, non-contiguous ids.
CREATE MACRO spaced_id(j, gap) AS (j + (j * gap) // 100 + 1)::INTEGER;
-- Id gaps per modality (percent).
CREATE MACRO gap_of(modality) AS CASE modality
    WHEN 'text' THEN 21 WHEN 'image' THEN 9 WHEN 'audio' THEN 27
    WHEN 'video' THEN 13 WHEN 'points' THEN 31 END;
CREATE MACRO youtube_id(x) AS replace(replace(substr(to_base64(unhex(md5(x::VARCHAR))), 1, 11), '/', '_'), '+', '-');
