-- Case-insensitive literal substring test, as the caption filters of the templates use it. RE2's
-- (?i) folds case while it scans; lower() on both sides first copies every caption, which made
-- a search over the 1.2 GB of E-MM1:100M captions twice as slow. regexp_escape keeps the needle
-- literal: '.', '*' or '%' in it match only themselves.
CREATE OR REPLACE MACRO contains_nocase(haystack, needle) AS
    regexp_matches(haystack, '(?i)' || regexp_escape(needle));
COMMENT ON MACRO contains_nocase IS 'True if haystack contains needle, ignoring case (Unicode case folding); needle is literal text, not a pattern.';
