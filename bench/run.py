"""Run every benchmark case at one scale and write bench/results/scale-<S>.json.

    python bench/run.py --scale 0.1 [--repeat 3] [--memory-limit 2GB]

Each case runs in a fresh process, at least --repeat times, the compared commands
alternating (A B C, A B C, ...), so that a slow moment of the machine hits all of them alike.
Query cases time their own work (imports excluded); builds and exports time the whole command.
Peak resident memory is the process's own maximum, from wait4().
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EMM1 = [sys.executable, "-m", "catalog.cli"]
CASES = [sys.executable, str(HERE / "cases.py")]


def run_measured(cmd: list[str]) -> dict:
    """Run a command: its wall time, its own peak RSS from wait4(), and the JSON line that a
    case prints (whose "seconds" is the time measured inside the process)."""
    with tempfile.TemporaryFile("w+") as errors:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{errors.read()}")
    result = {"wall": wall, "peak_rss_mb": usage.ru_maxrss / 1024}
    line = out.strip().splitlines()[-1] if out.strip() else ""
    if line.startswith("{"):
        result.update(json.loads(line))
    result.setdefault("seconds", wall)
    return result


def alternate(results: dict, case: str, variants: dict[str, list[str]], repeat: int) -> None:
    for i in range(repeat):
        for variant, cmd in variants.items():
            r = run_measured(cmd)
            results.setdefault(case, {}).setdefault(variant, []).append(r)
            print(f"  {case:28s} {variant:26s} run {i + 1}: {r['seconds']:8.3f} s "
                  f"{r.get('rows', '')} rows, peak {r['peak_rss_mb']:.0f} MB", flush=True)


def dataset(work: Path, scale: float) -> Path:
    data = work / f"scale-{scale:g}" / "data"
    marker = data / ".complete"
    if not marker.exists():
        shutil.rmtree(data, ignore_errors=True)
        print(f"generating the sample at scale {scale:g} in {data}", flush=True)
        subprocess.run([*EMM1, "sample", str(data), "--scale", str(scale), "-q"], check=True)
        marker.touch()
    return data


def machine() -> dict:
    versions = run_measured([*CASES, "versions"])
    return {"cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(),
            "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            **{k: versions[k] for k in ("duckdb", "pyarrow", "polars")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit for builds")
    parser.add_argument("--query-memory-limit", default="8GB",
                        help="DuckDB memory limit for query and export cases")
    parser.add_argument("--work", type=Path, default=HERE / "data")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--lookups", type=int, default=200, help="ids for one-caption lookups")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    data = dataset(args.work, args.scale)
    scratch = args.work / f"scale-{args.scale:g}"
    db, floor_db, floor_build_db = (scratch / n for n in ("emm1.duckdb", "floor.duckdb",
                                                          "engine_floor.duckdb"))
    root, ml, r = "/data/emm1", args.memory_limit, args.repeat
    qml = args.query_memory_limit
    results: dict = {}

    print("build", flush=True)
    alternate(results, "build", {
        "catalog": [*EMM1, "build", str(data), "--db", str(db), "--asset-root", root,
                    "--memory-limit", ml, "--quiet"],
        "engine floor": [sys.executable, str(HERE / "floor_build.py"), str(data),
                         str(floor_build_db), ml],
    }, r)
    floor_build_db.unlink(missing_ok=True)

    # the floors: resolved rows already in tables (made in a child, so that this process stays
    # small: a child's peak RSS counts the memory it was forked from)
    floor_db.unlink(missing_ok=True)
    floor_sizes = run_measured([*CASES, "make_floor", str(db), str(floor_db)])

    for k in (1, 9):
        print(f"resolve k={k}", flush=True)
        alternate(results, f"resolve k={k} as Arrow", {
            "catalog": [*CASES, "catalog_resolve", str(db), str(k), qml],
            "polars recipe": [*CASES, "polars_resolve", str(data), root, str(k)],
            "duckdb over CSV": [*CASES, "duckdb_csv_resolve", str(data), root, str(k), qml],
            "floor": [*CASES, "floor_scan", str(floor_db), f"k{k}", qml],
            "lower bound: joins only": [*CASES, "joins_only", str(db), str(k), qml],
        }, r)

    print("export k=1 to Parquet", flush=True)
    out = scratch / "export"
    out.mkdir(parents=True, exist_ok=True)
    alternate(results, "k=1 to Parquet (zstd)", {
        "catalog": [*EMM1, "export", "--db", str(db), "--view", "nn_groups_resolved",
                    "--where", "nn_index = 1", "--out", str(out / "catalog"), "--format",
                    "parquet", "--compression", "zstd", "--overwrite", "--memory-limit", qml,
                    "--quiet"],
        # the polars recipe does not sort: this is the like-for-like comparison
        "catalog (unordered)": [*EMM1, "export", "--db", str(db), "--view",
                                "nn_groups_resolved", "--where", "nn_index = 1", "--out",
                                str(out / "catalog"), "--format", "parquet", "--compression",
                                "zstd", "--overwrite", "--memory-limit", qml, "--quiet",
                                "--unordered"],
        "polars recipe": [*CASES, "polars_export", str(data), root, "1",
                          str(out / "polars.parquet")],
        "lower bound: COPY of resolved rows": [*CASES, "floor_parquet", str(floor_db), "k1",
                                               str(out / "floor.parquet"), qml, "copy"],
        "lower bound: pyarrow write of resolved rows": [
            *CASES, "floor_parquet", str(floor_db), "k1", str(out / "floor.parquet"), qml,
            "pyarrow"],
    }, r)
    print("export k in 1..4 to Parquet", flush=True)
    alternate(results, "k in 1..4 to Parquet (zstd)", {
        "catalog": [*EMM1, "export", "--db", str(db), "--view", "nn_groups_resolved",
                    "--where", "nn_index BETWEEN 1 AND 4", "--out", str(out / "catalog"),
                    "--format", "parquet", "--compression", "zstd", "--overwrite",
                    "--memory-limit", qml, "--quiet"],
        "catalog (unordered)": [*EMM1, "export", "--db", str(db), "--view",
                                "nn_groups_resolved", "--where", "nn_index BETWEEN 1 AND 4",
                                "--out", str(out / "catalog"), "--format", "parquet",
                                "--compression", "zstd", "--overwrite", "--memory-limit", qml,
                                "--quiet", "--unordered"],
        "polars recipe": [*CASES, "polars_export", str(data), root, "1-4",
                          str(out / "polars.parquet")],
    }, r)
    shutil.rmtree(out, ignore_errors=True)

    print("selective questions", flush=True)
    alternate(results, "caption substring, k<=4", {
        "catalog": [*CASES, "catalog_caption_search", str(db), qml],
        "catalog (groups template)": [*CASES, "catalog_caption_template", str(db), qml,
                                      "exact"],
        "catalog (groups template, any case)": [*CASES, "catalog_caption_template", str(db),
                                                qml, "any"],
        "polars recipe": [*CASES, "polars_caption_search", str(data), root],
        "lower bound: captions, groups, file names": [*CASES, "caption_groups_files", str(db),
                                                      qml],
    }, r)
    alternate(results, "triplets, one pair+label", {
        "catalog": [*CASES, "catalog_triplets", str(db), qml],
        "polars recipe": [*CASES, "polars_triplets", str(data), root],
        "floor": [*CASES, "floor_triplets", str(floor_db), qml],
    }, r)
    alternate(results, "one caption's 16 groups", {
        "catalog": [*CASES, "catalog_one_caption", str(db), qml, str(args.lookups)],
        "polars recipe": [*CASES, "polars_one_caption", str(data), root, str(db), "3"],
    }, r)

    csv_bytes = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    group_rows = run_measured([*CASES, "group_rows", str(db)])["rows"]
    results_file = args.results / f"scale-{args.scale:g}.json"
    args.results.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps({
        "scale": args.scale, "repeat": r, "memory_limit": ml, "query_memory_limit": qml,
        "machine": machine(),
        "sizes": {"csv_bytes": csv_bytes, "catalog_bytes": db.stat().st_size,
                  "group_rows": group_rows,
                  "resolved_k_table_bytes": floor_sizes["k_table_bytes"],
                  "resolved_triplets_table_bytes": floor_sizes["triplets_table_bytes"]},
        "cases": results,
    }, indent=1) + "\n")
    print(f"wrote {results_file}", flush=True)


if __name__ == "__main__":
    main()
