/*
title = "Captions are not empty"
group = "references"
severity = "warn"
expected = "0 empty captions"
help = "A caption of E-MM1:100M or E-MM1:1M text infos that is empty or only white space gives a training pair without text. Leave these captions out of a slice, or check text.csv against the dataset repository."
*/
SELECT part, encord_text_id, caption
FROM captions
WHERE regexp_full_match(coalesce(caption, ''), '\s*')
ORDER BY part, encord_text_id;

SELECT
    count(*) AS found,
    (SELECT count(*) FROM captions) AS total,
    array_to_string(list(format('{} {}', part, encord_text_id) ORDER BY part, encord_text_id)[1:5], ', ')
        || CASE WHEN count(*) > 5 THEN format(' (and {} more)', count(*) - 5) ELSE '' END AS detail
FROM offending;
