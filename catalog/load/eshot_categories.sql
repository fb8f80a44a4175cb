-- The checked ids of one EShot category file (eshot_category_items) into eshot_categories.
INSERT INTO eshot_categories
SELECT $modality, category, CAST(value AS INTEGER)
FROM eshot_category_items
ORDER BY entry_no, item;
