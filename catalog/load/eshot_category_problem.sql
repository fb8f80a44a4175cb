-- The first id in eshot_category_items that is not a plain decimal in INTEGER range: JSON reads
-- digits-only numbers as UBIGINT; a sign makes BIGINT, a fraction or exponent DOUBLE.
SELECT category, item, CAST(value AS VARCHAR)
FROM eshot_category_items
WHERE (json_type(value) = 'UBIGINT' AND TRY_CAST(value AS INTEGER) IS NOT NULL) IS NOT TRUE
ORDER BY entry_no, item
LIMIT 1;
