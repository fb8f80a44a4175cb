"""How long readers see the old catalog, and how long the swap takes, when the catalog is
rebuilt (emm1 build) and rewritten (emm1 config set) while readers query it.

    .venv/bin/python bench/rebuild_under_readers.py [--captions N] [--readers N] [--work DIR]

Four reader processes by default (tests/clients/reader.py), half holding one connection, half
reconnecting for every query. Prints one line per measure; times are seconds on this machine,
ratios compare them with the build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from catalog.build import build_catalog
from catalog.config import set_setting
from catalog.sample import generate_sample

READER = Path(__file__).resolve().parents[1] / "tests" / "clients" / "reader.py"


def log_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--captions", type=int, default=20_000, help="captions per nn shard")
    parser.add_argument("--readers", type=int, default=4, help="reader processes (even)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: /tmp)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="emm1-bench-", dir=args.work))
    try:
        run(work, args.captions, args.readers)
    finally:
        shutil.rmtree(work)


def run(work: Path, captions: int, readers: int) -> None:
    old_data, new_data, db = work / "old", work / "new", work / "emm1.duckdb"
    generate_sample(old_data, captions=captions, seed=1)
    generate_sample(new_data, captions=captions + 1, seed=2)
    limits = {"threads": 2, "memory_limit": "2GB"}
    build_catalog(old_data, db, asset_root="/old", **limits)
    stop = work / "stop"
    names = [f"{mode}-{n}" for n in range(readers // 2) for mode in ("hold", "reopen")]
    logs = {name: work / f"{name}.log" for name in names}
    procs = [
        subprocess.Popen(
            [sys.executable, str(READER), str(db), n.split("-")[0], str(logs[n]), str(stop)]
        )
        for n in names
    ]
    while not all(log_of(p) for p in logs.values()):
        time.sleep(0.01)
    time.sleep(1.0)  # a second of steady reading before the build

    reopening = [n for n in names if n.startswith("reopen")]

    def seen_by_all(root: str) -> None:
        while not all(
            any(e.get("answer", [0, 0, 0])[2] == root for e in log_of(logs[n])) for n in reopening
        ):
            time.sleep(0.01)

    first_query = min(log_of(logs[n])[0]["began"] for n in names)
    built_from = time.monotonic()
    report = build_catalog(new_data, db, asset_root="/new", **limits)
    swaps = {"/new": time.monotonic()}  # the rename was the build's last step
    seen_by_all("/new")
    set_from = time.monotonic()
    set_setting(db, "asset_root", "/newer")
    swaps["/newer"] = time.monotonic()  # likewise for the copy-and-swap
    seen_by_all("/newer")
    time.sleep(1.0)  # holders keep reading a while after both swaps
    stop.touch()
    for p in procs:
        p.wait()

    print(f"rows per nn shard          {captions:,} (16 shards: {16 * captions:,} group rows)")
    print(f"catalog file               {db.stat().st_size / 2**20:.1f} MiB")
    print(
        f"build                      {report.seconds:.2f} s, of which the rename "
        f"{report.swap_seconds * 1e6:.0f} us ({report.swap_seconds / report.seconds:.1e})"
    )
    print(f"config set (copy + rename) {swaps['/newer'] - set_from:.3f} s")
    for name in names:
        entries = log_of(logs[name])
        errors = len([e for e in entries if "error" in e])
        answers = [e for e in entries if "answer" in e]
        done = entries[-1]
        period = (done["last"] - first_query) / done["queries"]
        print(
            f"{name}: {errors} errors, {done['queries']} queries, one every {period * 1000:.0f} ms"
        )
        if name.startswith("hold"):
            print(
                f"  one answer throughout: {len(answers) == 1}; the old data for "
                f"{done['last'] - built_from:.2f} s after the build began, until it stopped"
            )
            continue
        for root, swapped in swaps.items():
            new = next(e for e in answers if e["answer"][2] == root)
            print(
                f"  {root:<7} last old query began "
                f"{(swapped - new['previous_began']) * 1000:.0f} ms "
                f"before the swap; first new one began {(new['began'] - swapped) * 1000:.0f} ms "
                f"after it and answered {(new['at'] - swapped) * 1000:.0f} ms after it"
            )


if __name__ == "__main__":
    main()
