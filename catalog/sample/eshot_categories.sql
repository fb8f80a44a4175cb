-- Category -> sample ids, one row per category; sample i is in category i % $n_categories.
SELECT
    pick(['dog', 'acoustic guitar', 'car, engine', 'rain', 'bird "song"', 'piano', 'café noise', 'drum'],
         c) || CASE WHEN c >= 8 THEN ' ' || (c // 8 + 1) ELSE '' END AS category,
    list(spaced_id(i, 5) ORDER BY i) AS ids
FROM (SELECT i, i % $n_categories AS c FROM range($n) AS r(i))
GROUP BY c
ORDER BY c;
