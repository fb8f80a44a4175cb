"""Benchmark: `emm1 files scan` over >= 1M files on disk versus `find ROOT -type f | wc -l`.

Generates a sample (default 400,000 captions: ~1.1M assets), builds its catalog, creates one
empty file per distinct asset path (audio under video/, as the upstream guide keeps it),
then runs the scan and find alternately, three times each, and prints the medians and their
ratio. The scan is timed whole (listing, matching in DuckDB, copy-and-swap of the catalog) and
its listing step alone. Everything lives under --work and is deleted at the end (the files
cost inodes) unless --keep.

    .venv/bin/python bench/scan_files.py [--captions 400000] [--work /tmp/emm1-bench-scan]
"""

from __future__ import annotations

import argparse
import os
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
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def create_files(db: Path, root: Path) -> int:
    """One empty file per distinct asset path: the list comes from DuckDB in one query, the
    files are made with os.open/os.close in a tight loop."""
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
    for p in paths:
        os.close(os.open(p, flags, 0o644))
    return len(paths)


def find_count(root: Path, printf: str = "") -> int:
    """`find ROOT -type f | wc -l`; with printf (e.g. '%s %P\\n') find also stats each file."""
    fmt = f" -printf '{printf}'" if printf else ""
    out = subprocess.run(
        f"find {root} -type f{fmt} | wc -l", shell=True, check=True, capture_output=True, text=True
    )
    return int(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captions", type=int, default=400_000)
    ap.add_argument("--work", default="/tmp/emm1-bench-scan")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="Keep the files afterwards.")
    args = ap.parse_args()
    work = Path(args.work)
    data, db, root = work / "data", work / "emm1.duckdb", work / "root"
    try:
        if not data.exists():
            t, _ = timed(lambda: generate_sample(data, captions=args.captions, seed=1))
            print(f"sample: {args.captions:,} captions in {t:.1f} s", file=sys.stderr)
        if not db.exists():
            t, _ = timed(
                lambda: build_catalog(data, db, asset_root=str(root), threads=2, memory_limit="2GB")
            )
            print(f"build: {t:.1f} s, {db.stat().st_size / 1e6:.0f} MB", file=sys.stderr)
        if not root.exists():
            set_setting(db, "layout.audio", "video")  # audio in video/, as upstream keeps it
            t, n = timed(lambda: create_files(db, root))
            print(f"created {n:,} empty files in {t:.1f} s", file=sys.stderr)
            set_setting(db, "layout.audio", "audio")  # the scan has to find the folder

        scans, listings, finds, finds_sized = [], [], [], []
        for i in range(args.runs):
            t_scan, report = timed(lambda: scan_files(db))
            t_find, n_find = timed(lambda: find_count(root))
            t_sized, _ = timed(lambda: find_count(root, r"%s %P\n"))
            t_list, listing = timed(
                lambda: list_files(root, ["e-mm1_100m_only", "e-mm1_1m_only", "shared", "eshot"])
            )
            scans.append(t_scan)
            finds.append(t_find)
            listings.append(t_list)
            finds_sized.append(t_sized)
            print(
                f"run {i + 1}: scan {t_scan:.2f} s ({report.files_listed:,} files), "
                f"listing alone {t_list:.2f} s ({listing.count:,}), "
                f"find | wc -l {t_find:.2f} s ({n_find:,}), find -printf sizes {t_sized:.2f} s",
                file=sys.stderr,
            )
        present = sum(r[3] for r in report.coverage if r[1] == "(all)")
        scan, lst, find, sized = (
            statistics.median(x) for x in (scans, listings, finds, finds_sized)
        )
        print(f"files on disk            {n_find:,}")
        print(f"assets found by the scan {present:,}")
        print(f"layout advice            {report.layout[0].describe()}")
        print(f"median scan              {scan:.2f} s")
        print(f"median listing alone     {lst:.2f} s")
        print(f"median find | wc -l      {find:.2f} s")
        print(f"median find -printf '%s %P' {sized:.2f} s (find that also stats each file)")
        print(f"ratio scan / find        {scan / find:.2f}")
        print(f"ratio listing / find     {lst / find:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
