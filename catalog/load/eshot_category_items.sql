-- One EShot category file ({"category": [id, ...], ...}) into long rows, each id still JSON so
-- that eshot_category_problem.sql can check how it is written. `entry_no` and `item` count from 1
-- in file order.
CREATE OR REPLACE TEMP TABLE eshot_category_items AS
SELECT entry_no, pair.key AS category, unnest(range(1, CAST(len(pair.value) AS BIGINT) + 1)) AS item,
    unnest(pair.value) AS value
FROM (
    SELECT unnest(map_entries(categories)) AS pair,
        unnest(range(1, CAST(cardinality(categories) AS BIGINT) + 1)) AS entry_no
    FROM (
        SELECT CAST(json AS MAP(VARCHAR, JSON[])) AS categories
        FROM read_json_objects($path, format = 'unstructured')
    )
);
