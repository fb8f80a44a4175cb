-- text.csv: captions with commas, quotes, newlines and non-ASCII text. A few caption ids used
-- by the groups are left out on purpose (i % 211 = 7). $padding sets the mean length.
SELECT
    spaced_id(i, gap_of('text')) AS encord_text_id,
    pick(['A dog', 'Two children', 'An old man', 'A red car', 'La niña', 'A café owner',
          '東京の猫', 'A "vintage" radio', 'The crowd', 'A Zürich tram', 'Ein Müller', 'Пёс'],
         mix2(i, $seed + 1))
    || ' ' || pick(['runs across a field', 'plays a guitar, loudly', 'says "hello" twice',
                    'sits quietly', 'drives past; rain falls', 'barks' || chr(10) || 'at the door',
                    'laughs, then sings', 'spins — slowly', 'repairs a bike', 'naïvely waves'],
                   mix2(i, $seed + 2))
    || ' ' || pick(['at night', 'in the park, near a lake', 'on a "sunny" day', 'under a bridge',
                    'in São Paulo', 'inside a kitchen', 'by the sea', 'at the café ☕'],
                   mix2(i, $seed + 3))
    || list_reduce(
           list_transform(range((mix2(i, $seed + 5) % $padding)::INTEGER),
                          lambda j: ', ' || pick(['with birds singing', 'while people talk',
                                                  'wind in the trees', 'soft music plays',
                                                  'a door creaks', 'seen from above',
                                                  'in slow motion', 'close-up', 'rain taps'],
                                                 mix2(i * 16 + j, $seed + 4))),
           lambda acc, x: acc || x, '') 
    || ' #' || i AS caption,
    pick(['COCO', 'AudioCaps', 'VALOR', 'WavCaps', 'InternVid'], mix2(i, $seed + 6)) AS source_dataset,
    'CC BY 4.0' AS dataset_license
FROM range($n) AS r(i)
WHERE i % 211 <> 7
ORDER BY i;
