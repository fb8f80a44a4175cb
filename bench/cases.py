"""One benchmark case per call, timed inside this process, printed as one JSON line.

    python bench/cases.py CASE [ARGS...]

Each case does what a user would do for one question, starting from what that user has on
disk (the catalog, or the CSVs), and reports the seconds its work took (imports excluded)
and the rows it produced. The harness (bench/run.py) runs every case in a fresh process.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

MODALITIES = ("image", "audio", "video", "points")
CAPTION_NEEDLE = "Zürich tram naïvely waves"  # about 1 caption in 120
PAIR, LABEL = ("audio", "points"), "Good Match"


# --- the catalog ---------------------------------------------------------------------------

def _catalog(db: str, memory_limit: str):
    import duckdb

    return duckdb.connect(db, read_only=True, config={"memory_limit": memory_limit})


def catalog_resolve(db: str, k: str, memory_limit: str):
    con = _catalog(db, memory_limit)
    t0 = time.perf_counter()
    table = con.sql("SELECT * FROM nn_groups_resolved WHERE nn_index = $k",
                    params={"k": int(k)}).to_arrow_table()
    return time.perf_counter() - t0, table.num_rows


def catalog_caption_search(db: str, memory_limit: str):
    con = _catalog(db, memory_limit)
    t0 = time.perf_counter()
    table = con.sql("SELECT * FROM nn_groups_resolved WHERE nn_index <= 4 "
                    "AND contains(caption, $needle)", params={"needle": CAPTION_NEEDLE}
                    ).to_arrow_table()
    return time.perf_counter() - t0, table.num_rows


def catalog_caption_template(db: str, memory_limit: str, case: str):
    """The same question through the groups template, as `emm1 query groups` or the Python API
    ask it: with match_case (case "exact") as the recipe matches, or ignoring case ("any"),
    which here matches the same rows."""
    from catalog.templates import prepare

    con = _catalog(db, memory_limit)
    raw = {"k": "1..4", "caption_contains": CAPTION_NEEDLE}
    if case == "exact":
        raw["match_case"] = "yes"
    _, _, sql, bound = prepare("groups", raw)
    t0 = time.perf_counter()
    table = con.sql(sql, params=bound).to_arrow_table()
    return time.perf_counter() - t0, table.num_rows


def catalog_triplets(db: str, memory_limit: str):
    return _triplets_of_pair(db, "triplets_labeled", memory_limit)


def _triplets_of_pair(db: str, relation: str, memory_limit: str):
    """The triplets of PAIR rated LABEL, as Arrow, from a relation with triplets_labeled's
    columns."""
    con = _catalog(db, memory_limit)
    t0 = time.perf_counter()
    table = con.sql(f"SELECT * FROM {relation} WHERE paired_modality = $p "
                    "AND annotated_modality = $a AND annotation_label = $label",
                    params={"p": PAIR[0], "a": PAIR[1], "label": LABEL}).to_arrow_table()
    return time.perf_counter() - t0, table.num_rows


def catalog_one_caption(db: str, memory_limit: str, n: str = "200"):
    """Median and p95 over n random caption ids; one connection, as an application has."""
    con = _catalog(db, memory_limit)
    ids = [r[0] for r in con.sql(
        f"SELECT encord_text_id FROM infos_100m_text USING SAMPLE {int(n)} ROWS "
        "(reservoir, 42)").fetchall()]
    times, rows = [], 0
    for text_id in ids:
        t0 = time.perf_counter()
        rows += con.sql("SELECT * FROM nn_groups_resolved WHERE encord_text_id = $id",
                        params={"id": text_id}).to_arrow_table().num_rows
        times.append(time.perf_counter() - t0)
    return statistics.median(times), rows, {"p95": _p95(times), "lookups": len(times)}


def floor_scan(floor_db: str, table: str, memory_limit: str):
    """The floor: the same rows read from a table that already holds them."""
    con = _catalog(floor_db, memory_limit)
    t0 = time.perf_counter()
    rows = con.sql(f'SELECT * FROM "{table}"').to_arrow_table().num_rows
    return time.perf_counter() - t0, rows


# --- lower bounds: work any design within the budgets must do, timed the same way --------

def joins_only(db: str, k: str, memory_limit: str):
    """The five left joins of nn_groups_resolved for one k, carrying the columns the view reads
    (the caption and each modality's stored path), counted instead of returned: nothing
    reaches Arrow. Storing resolved rows instead does not fit the size
    budget (see make_floor), so resolving one k costs at least this."""
    con = _catalog(db, memory_limit)
    joins = "\n".join(f"LEFT JOIN infos_100m_{m} AS {m} USING (encord_{m}_id)"
                      for m in MODALITIES)
    counted = ", ".join(f"count({m}.resolved_file_path)" for m in MODALITIES)
    t0 = time.perf_counter()
    (rows, *_), = con.sql(f"""SELECT count(*), count(t.caption), {counted}
                             FROM nn_groups AS g
                             LEFT JOIN infos_100m_text AS t USING (encord_text_id)
                             {joins}
                             WHERE g.nn_index = $k""", params={"k": int(k)}).fetchall()
    return time.perf_counter() - t0, rows


def caption_groups_files(db: str, memory_limit: str):
    """What any caption search must do, in its fastest known shape: scan every caption for the
    needle (with its case, as the recipe does), take the groups of k <= 4 of those that match,
    and look up the save_folder and file_name of each of their four items; counted, so no path
    is built and nothing reaches Arrow. The lookups read only the infos rows the groups name."""
    con = _catalog(db, memory_limit)
    lookups = "\n".join(
        f"LEFT JOIN (FROM infos_100m_{m} WHERE encord_{m}_id IN (SELECT encord_{m}_id FROM g)) "
        f"AS {m} USING (encord_{m}_id)" for m in MODALITIES)
    counted = ", ".join(f"count({m}.save_folder), count({m}.file_name)" for m in MODALITIES)
    t0 = time.perf_counter()
    (rows, *_), = con.sql(f"""WITH g AS MATERIALIZED (
                                 SELECT g.*, t.caption FROM nn_groups AS g
                                 JOIN infos_100m_text AS t USING (encord_text_id)
                                 WHERE g.nn_index <= 4 AND contains(t.caption, $n))
                             SELECT count(*), count(g.caption), {counted} FROM g {lookups}""",
                          params={"n": CAPTION_NEEDLE}).fetchall()
    return time.perf_counter() - t0, rows


def floor_triplets(floor_db: str, memory_limit: str):
    """The triplets question over a table of triplets stored resolved (captions and whole
    paths), sorted by pair and label, as the catalog stores them (triplets_resolved, which
    `emm1 config set` refills)."""
    return _triplets_of_pair(floor_db, "triplets_resolved", memory_limit)


def floor_parquet(floor_db: str, table: str, out: str, memory_limit: str, writer: str):
    """Writing rows already resolved (a floor table) to zstd Parquet: DuckDB's COPY, which
    `emm1 export` runs, or an Arrow fetch and pyarrow's writer. An export of that k can be no
    faster than the faster of the two."""
    con = _catalog(floor_db, memory_limit)
    con.execute("SET enable_progress_bar = false")
    t0 = time.perf_counter()
    if writer == "copy":
        (rows,), = con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{out}' "
                               "(FORMAT parquet, COMPRESSION zstd)").fetchall()
    else:
        import pyarrow.parquet as pq

        rows_table = con.sql(f'SELECT * FROM "{table}"').to_arrow_table()
        pq.write_table(rows_table, out, compression="zstd")
        rows = rows_table.num_rows
    return time.perf_counter() - t0, rows


# --- DuckDB straight over the CSVs, no catalog -----------------------------------------------

def duckdb_csv_resolve(data: str, root: str, k: str, memory_limit: str):
    import duckdb

    con = duckdb.connect(config={"memory_limit": memory_limit})
    p = f"{data}/e-mm1_100m"
    joins = "\n".join(
        f"LEFT JOIN read_csv('{p}/infos/{m}.csv') AS {m}_i USING (encord_{m}_id)"
        for m in MODALITIES)
    paths = ", ".join(
        f"'{root}/' || {m}_i.save_folder || '/{m}/' || {m}_i.file_name AS {m}_file_path"
        for m in MODALITIES)
    t0 = time.perf_counter()
    table = con.sql(f"""
        SELECT g.encord_text_id, g.nn_index, t.caption, g.encord_image_id, g.encord_audio_id,
               g.encord_video_id, g.encord_points_id, {paths}
        FROM read_csv('{p}/nn_{int(k)}/data_groups.csv') AS g
        LEFT JOIN read_csv('{p}/infos/text.csv') AS t USING (encord_text_id)
        {joins}""").to_arrow_table()
    return time.perf_counter() - t0, table.num_rows


# --- the polars recipe users follow today --------------------------------------------------

def _pl_infos(pl, p: str, m: str, root: str):
    info = pl.read_csv(f"{p}/infos/{m}.csv", columns=[f"encord_{m}_id", "save_folder",
                                                     "file_name"])
    return info.select(
        f"encord_{m}_id",
        pl.concat_str([pl.lit(f"{root}/"), "save_folder", pl.lit(f"/{m}/"), "file_name"]
                      ).alias(f"{m}_file_path"))


def _pl_resolve_groups(pl, groups, p: str, root: str):
    text = pl.read_csv(f"{p}/infos/text.csv", columns=["encord_text_id", "caption"])
    out = groups.join(text, on="encord_text_id", how="left")
    for m in MODALITIES:
        out = out.join(_pl_infos(pl, p, m, root), on=f"encord_{m}_id", how="left")
    return out.select("encord_text_id", "nn_index", "caption",
                      *(f"encord_{m}_id" for m in MODALITIES),
                      *(f"{m}_file_path" for m in MODALITIES))


def polars_resolve(data: str, root: str, k: str):
    import polars as pl

    p = f"{data}/e-mm1_100m"
    t0 = time.perf_counter()
    groups = pl.read_csv(f"{p}/nn_{int(k)}/data_groups.csv")
    table = _pl_resolve_groups(pl, groups, p, root).to_arrow()
    return time.perf_counter() - t0, table.num_rows


def polars_export(data: str, root: str, k: str, out: str):
    """k: one k ("1") or a range ("1-4"), whose shards are read and stacked."""
    import polars as pl

    p = f"{data}/e-mm1_100m"
    first, _, last = k.partition("-")
    t0 = time.perf_counter()
    groups = pl.concat([pl.read_csv(f"{p}/nn_{n}/data_groups.csv")
                        for n in range(int(first), int(last or first) + 1)])
    frame = _pl_resolve_groups(pl, groups, p, root)
    frame.write_parquet(out, compression="zstd")
    return time.perf_counter() - t0, frame.height


def polars_caption_search(data: str, root: str):
    import polars as pl

    p = f"{data}/e-mm1_100m"
    t0 = time.perf_counter()
    text = pl.read_csv(f"{p}/infos/text.csv", columns=["encord_text_id", "caption"])
    hits = text.filter(pl.col("caption").str.contains(CAPTION_NEEDLE, literal=True))
    groups = pl.concat([pl.read_csv(f"{p}/nn_{k}/data_groups.csv") for k in range(1, 5)])
    groups = groups.join(hits.select("encord_text_id"), on="encord_text_id", how="semi")
    table = _pl_resolve_groups(pl, groups, p, root).to_arrow()
    return time.perf_counter() - t0, table.num_rows


def polars_triplets(data: str, root: str):
    import polars as pl

    p = f"{data}/e-mm1_1m"
    t0 = time.perf_counter()
    trip = pl.read_csv(f"{p}/triplets.csv")
    labels = pl.read_csv(f"{p}/annotation_mapping.csv", new_columns=["annotation",
                                                                      "annotation_label"])
    trip = trip.join(labels, on="annotation", how="left").filter(
        (pl.col("paired_modality") == PAIR[0]) & (pl.col("annotated_modality") == PAIR[1])
        & (pl.col("annotation_label") == LABEL))
    text = pl.read_csv(f"{p}/infos/text.csv", columns=["encord_text_id", "caption"])
    trip = trip.join(text, on="encord_text_id", how="left")
    for role, m in (("paired", PAIR[0]), ("annotated", PAIR[1])):
        info = _pl_infos(pl, p, m, root).rename({f"encord_{m}_id": f"encord_{role}_id",
                                                 f"{m}_file_path": f"{role}_modality_file_path"})
        trip = trip.join(info, on=f"encord_{role}_id", how="left")
    table = trip.to_arrow()
    return time.perf_counter() - t0, table.num_rows


def polars_one_caption(data: str, root: str, db: str, n: str = "5"):
    """The lazy polars recipe for one caption's groups: scan, filter, join. Ids are drawn as
    the catalog case draws them."""
    import duckdb
    import polars as pl

    ids = [r[0] for r in duckdb.connect(db, read_only=True).sql(
        f"SELECT encord_text_id FROM infos_100m_text USING SAMPLE {int(n)} ROWS "
        "(reservoir, 42)").fetchall()]
    p = f"{data}/e-mm1_100m"
    times, rows = [], 0
    for text_id in ids:
        t0 = time.perf_counter()
        groups = pl.concat([pl.scan_csv(f"{p}/nn_{k}/data_groups.csv") for k in range(1, 17)]
                           ).filter(pl.col("encord_text_id") == text_id).collect()
        rows += _pl_resolve_groups(pl, groups, p, root).to_arrow().num_rows
        times.append(time.perf_counter() - t0)
    return statistics.median(times), rows, {"p95": _p95(times), "lookups": len(times)}


def make_floor(db: str, floor_db: str):
    """Not timed: the resolved rows of k=1 and k=9 and the resolved triplets, stored as tables
    for the floor cases, and the bytes they take (what storing resolved rows would cost)."""
    import duckdb

    with duckdb.connect(floor_db) as con:
        con.execute("ATTACH ? AS cat (READ_ONLY)", [db])
        for k in (1, 9):
            con.execute(f"CREATE OR REPLACE TABLE k{k} AS "
                        f"SELECT * FROM cat.nn_groups_resolved WHERE nn_index = {k}")
        con.execute("CREATE OR REPLACE TABLE triplets_resolved AS SELECT * FROM "
                    "cat.triplets_labeled ORDER BY paired_modality, annotated_modality, "
                    "annotation_label")
        con.execute("CHECKPOINT")
        (block_size,), = con.sql("SELECT block_size FROM pragma_database_size() "
                                 "WHERE database_name = current_database()").fetchall()

        def table_bytes(table: str) -> int:
            (blocks,), = con.sql("SELECT count(DISTINCT block_id) FROM pragma_storage_info(?) "
                                 "WHERE block_id >= 0", params=[table]).fetchall()
            return blocks * block_size

        return 0.0, 0, {"k_table_bytes": table_bytes("k1"),
                        "triplets_table_bytes": table_bytes("triplets_resolved")}


def group_rows(db: str):
    import duckdb

    with duckdb.connect(db, read_only=True) as con:
        return 0.0, con.sql("SELECT count(*) FROM nn_groups").fetchall()[0][0]


def versions():
    import duckdb
    import polars
    import pyarrow

    return 0.0, 0, {"duckdb": duckdb.__version__, "pyarrow": pyarrow.__version__,
                    "polars": polars.__version__}


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


CASES = {name: f for name, f in globals().items()
         if callable(f) and not name.startswith("_") and getattr(f, "__module__", "") == __name__}

if __name__ == "__main__":
    name, *args = sys.argv[1:]
    # Every case ends in Arrow, and both DuckDB and polars import pyarrow on their first Arrow
    # result, inside the timed work: import it here, with the other imports that are excluded.
    import pyarrow  # noqa: F401

    result = CASES[name](*args)
    seconds, rows, *extra = result
    print(json.dumps({"seconds": seconds, "rows": rows, **(extra[0] if extra else {})}))
