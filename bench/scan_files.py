"""Benchmark: `emm1 files scan` over ~1M files on disk versus `find ROOT -type f -printf '%s %P\n'`.

Generates a sample (default 400,000 captions: ~1.1M assets), builds its catalog, creates one
file per distinct asset path (audio under video/, as the upstream guide keeps it), then runs
the scan, find and the scan's listing step alone, alternately, --runs times each, and prints the
medians, their ratios and the CPU time of each. find prints each file's size and path to
/dev/null: it lists the folders and stats each file, the work the scan's listing does. The
scan is timed whole (listing, matching in DuckDB, copy-and-swap of the catalog).

The files are sparse: each has a size (1-7 KB) but no data blocks, so every asset counts as
present, as on a real disk, without using the space. --empty makes them 0 bytes instead: then
every file is an incomplete download the scan records with its path (the slower case).
Everything lives under --work and is deleted at the end (the files cost inodes) unless --keep.

    .venv/bin/python bench/scan_files.py [--captions 400000] [--work /tmp/emm1-bench-scan]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from catalog.build import build_catalog
from catalog.config import set_setting
from catalog.files import scan_files
from catalog.listing import list_files
from catalog.sample import generate_sample


def timed(fn):
    """(seconds, CPU seconds of this process and of the children it waited for, result)."""
    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
    result = fn()
    cpu = time.process_time() - c0 + _children_cpu() - k0
    return time.perf_counter() - t0, cpu, result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def create_files(db: Path, root: Path, empty: bool) -> int:
    """One file per distinct asset path, sparse (a size, no data blocks) or empty: the list
    comes from DuckDB in one query, the files are made with os.open/os.close in a tight loop."""
    with duckdb.connect(str(db), read_only=True) as con:
        paths = [
            p
            for (p,) in con.execute(
                "SELECT DISTINCT file_path FROM assets WHERE file_path IS NOT NULL"
            ).fetchall()
        ]
    for folder in {os.path.dirname(p) for p in paths}:
        os.makedirs(folder, exist_ok=True)
    flags = os.O_CREAT | os.O_WRONLY
    for i, p in enumerate(paths):
        fd = os.open(p, flags, 0o644)
        if not empty:
            os.ftruncate(fd, 1000 * (i % 7 + 1))
        os.close(fd)
    return len(paths)


def find_sizes(root: Path) -> None:
    """`find ROOT -type f -printf '%s %P\\n' > /dev/null`: lists the folders and stats each file."""
    with open(os.devnull, "w") as null:
        subprocess.run(
            ["find", str(root), "-type", "f", "-printf", r"%s %P\n"], stdout=null, check=True
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captions", type=int, default=400_000)
    ap.add_argument("--work", default="/tmp/emm1-bench-scan")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="Keep the files afterwards.")
    ap.add_argument("--empty", action="store_true", help="Make the files 0 bytes (incomplete).")
    args = ap.parse_args()
    work = Path(args.work)
    data, db, root = work / "data", work / "emm1.duckdb", work / "root"
    try:
        if not data.exists():
            t, _, _ = timed(lambda: generate_sample(data, captions=args.captions, seed=1))
            print(f"sample: {args.captions:,} captions in {t:.1f} s", file=sys.stderr)
        if not db.exists():
            t, _, _ = timed(
                lambda: build_catalog(data, db, asset_root=str(root), threads=2, memory_limit="2GB")
            )
            print(f"build: {t:.1f} s, {db.stat().st_size / 1e6:.0f} MB", file=sys.stderr)
        if not root.exists():
            set_setting(db, "layout.audio", "video")  # audio in video/, as upstream keeps it
            t, _, n = timed(lambda: create_files(db, root, args.empty))
            print(f"created {n:,} files in {t:.1f} s", file=sys.stderr)
            set_setting(db, "layout.audio", "audio")  # the scan has to find the folder

        save_folders = ["e-mm1_100m_only", "e-mm1_1m_only", "shared", "eshot"]
        runs = {"scan": [], "listing": [], "find": []}
        for i in range(args.runs):
            scan = timed(lambda: scan_files(db))
            find = timed(lambda: find_sizes(root))
            listing = timed(lambda: list_files(root, save_folders))
            for name, result in (("scan", scan), ("find", find), ("listing", listing)):
                runs[name].append(result[:2])
            report, listed = scan[2], listing[2].count
            print(
                f"run {i + 1}: scan {scan[0]:.2f} s (CPU {scan[1]:.2f} s, "
                f"{report.files_listed:,} files), find -printf {find[0]:.2f} s (CPU "
                f"{find[1]:.2f} s), listing alone {listing[0]:.2f} s (CPU {listing[1]:.2f} s, "
                f"{listed:,} files)",
                file=sys.stderr,
            )
        present = sum(r[3] for r in report.coverage if r[1] == "(all)")
        wall = {name: statistics.median(t for t, _ in r) for name, r in runs.items()}
        cpu = {name: statistics.median(c for _, c in r) for name, r in runs.items()}
        print(f"files on disk               {report.files_listed:,}")
        print(f"assets found by the scan    {present:,}")
        print(f"layout advice               {report.layout[0].describe()}")
        for name, label in (
            ("scan", "scan"),
            ("listing", "listing alone"),
            ("find", "find -printf '%s %P'"),
        ):
            print(f"median {label:<21} {wall[name]:.2f} s (CPU {cpu[name]:.2f} s)")
        print(f"ratio scan / find           {wall['scan'] / wall['find']:.2f}")
        print(f"ratio listing / find        {wall['listing'] / wall['find']:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
