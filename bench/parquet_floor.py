"""How fast can any plan write one k to Parquet? The writer alone, from rows already resolved
(not a test: numbers, no asserts).

    .venv/bin/python bench/parquet_floor.py bench/data/scale-1/floor.duckdb k1 --runs 3

The floor database is the one `make bench` leaves behind: the resolved rows of k=1 and k=9 as
tables. Each run writes the table to zstd Parquet in a fresh process, once with DuckDB's COPY
(what `emm1 export` runs) and once with pyarrow's writer after fetching the rows as Arrow, and
reports the medians. The export of that k can be no faster than the faster of the two.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

WRITERS = {
    "duckdb COPY": """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=True, config={"memory_limit": sys.argv[4]})
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
con.execute(f"COPY (SELECT * FROM {sys.argv[2]}) TO '{sys.argv[3]}' "
            "(FORMAT parquet, COMPRESSION zstd)")
print(time.perf_counter() - t0)
""",
    "arrow fetch + pyarrow write": """
import duckdb, sys, time, pyarrow.parquet as pq
con = duckdb.connect(sys.argv[1], read_only=True, config={"memory_limit": sys.argv[4]})
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
pq.write_table(con.sql(f"SELECT * FROM {sys.argv[2]}").to_arrow_table(), sys.argv[3],
               compression="zstd")
print(time.perf_counter() - t0)
""",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("floor_db")
    parser.add_argument("table", help="k1 or k9")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-limit", default="8GB")
    args = parser.parse_args()
    times: dict[str, list[float]] = {w: [] for w in WRITERS}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "slice.parquet"
        for _ in range(args.runs):
            for name, code in WRITERS.items():  # alternating, as bench/run.py does
                done = subprocess.run(
                    [sys.executable, "-c", code, args.floor_db, args.table, str(out),
                     args.memory_limit],
                    capture_output=True, text=True, check=True)
                times[name].append(float(done.stdout))
                out.unlink()
    for name, ts in times.items():
        print(json.dumps({"writer": name, "median_s": round(statistics.median(ts), 3),
                          "min_s": round(min(ts), 3), "max_s": round(max(ts), 3)}))


if __name__ == "__main__":
    main()
