"""Time and peak memory of `emm1 export` on a large catalog (not a test: numbers, no asserts).

    .venv/bin/emm1 sample /tmp/big --captions 700000          # ~11M nn group rows
    .venv/bin/emm1 build /tmp/big --db /tmp/big.duckdb --threads 2 --memory-limit 4GB
    .venv/bin/python bench/export_memory.py /tmp/big.duckdb /tmp/big-export --memory-limit 1GB

Each export runs as its own child process; its peak resident memory is that child's
ru_maxrss (from os.wait4).
Reported beside the memory limit, so the ratio (peak / limit) is what to compare across
machines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

EMM1 = Path(sys.executable).with_name("emm1")
CASES = {
    "template groups k=1, all modalities": ["groups", "-p", "k", "1"],
    "view nn_groups_resolved --where nn_index = 1": [
        "--view",
        "nn_groups_resolved",
        "--where",
        "nn_index = 1",
    ],
    "view nn_groups_resolved, all k, partitioned by nn_index": [
        "--view",
        "nn_groups_resolved",
        "--partition-by",
        "nn_index",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("out")
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--threads", default="2")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args()
    for number, (name, case) in enumerate(CASES.items()):
        if args.only and args.only not in name:
            continue
        out = Path(args.out) / f"case_{number}"
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        child = subprocess.Popen(
            [
                str(EMM1),
                "export",
                *case,
                "--db",
                args.db,
                "--out",
                str(out),
                "--quiet",
                "--memory-limit",
                args.memory_limit,
                "--threads",
                args.threads,
            ]
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if child.returncode:
            sys.exit(f"{name}: emm1 export failed ({child.returncode})")
        peak = usage.ru_maxrss  # kilobytes on Linux
        manifest = json.loads(out.with_name(f"{out.name}.manifest.json").read_text())
        size = sum(f["bytes"] for f in manifest["files"])
        print(
            f"{name}: {manifest['rows']:,} rows, {len(manifest['files'])} file(s), "
            f"{size / 1e6:,.0f} MB in {seconds:.1f} s; peak RSS {peak / 1024:,.0f} MB "
            f"with memory limit {args.memory_limit}"
        )
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
