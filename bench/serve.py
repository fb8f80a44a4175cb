"""Page timings of `emm1 serve` at one scale: python bench/serve.py --scale 1 [--clients 20]

Builds (or reuses) the sample and catalog of bench/run.py's layout (bench/data/scale-S/), starts
the real server, and measures each page twice: one client alone (server time from the
Server-Timing header, and the time the client waited), then N clients at once, each browsing
the pages in its own order with a pause after each page (--think seconds on average; 0 makes it
a stress test). Between the two, the floors: the query behind a page run directly in DuckDB (in
this process, on a read-only connection), alternating with the page itself, so that both see
the same load. Writes bench/results/serve-scale-S.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import duckdb
from run import EMM1, dataset

from catalog.templates import prepare

HERE = Path(__file__).resolve().parent
# Words for caption search: common ones (found at once), rarer ones and one found nowhere.
WORDS = ("dog", "guitar", "Zürich", "kitchen", "rain taps", "xylophone quartet")
NOWHERE = "xylophone quartet"  # in no caption of the sample: a search reads every caption


def catalog(work: Path, scale: float) -> Path:
    """The sample's catalog, built once (asset root /data/emm1: no media, so previews show
    their not-downloaded state)."""
    data = dataset(work, scale)
    db = work / f"scale-{scale:g}" / "serve.duckdb"
    marker = db.with_name(db.name + ".complete")
    if not marker.exists():
        print(f"building {db}", flush=True)
        subprocess.run(
            [*EMM1, "build", str(data), "--db", str(db), "--asset-root", "/data/emm1", "--quiet"],
            check=True,
        )
        marker.touch()
    return db


def page_urls(db: Path, count: int, seed: int = 0) -> dict[str, list[str]]:
    """Per page kind, `count` URLs with ids that exist, chosen at random (seeded)."""
    rng = random.Random(seed)
    with duckdb.connect(str(db), read_only=True) as con:

        def ids(sql: str) -> list:
            return [r[0] for r in con.execute(sql).fetchall()]

        texts = ids(
            "SELECT encord_text_id FROM infos_100m_text USING SAMPLE 500 ROWS (reservoir, 1)"
        )
        texts_1m = ids(
            "SELECT DISTINCT encord_text_id FROM triplets USING SAMPLE 500 ROWS (reservoir, 1)"
        )
        images = ids(
            "SELECT encord_image_id FROM infos_100m_image USING SAMPLE 500 ROWS (reservoir, 1)"
        )
        categories = ids("SELECT DISTINCT category FROM eshot_categories")
    pairs = ("audio,points", "image,points", "video,points", "audio,image")
    labels = ("Good+Match", "Partial+Match", "Bad+%28No%29+Match")
    kinds = {
        "overview /": lambda: "/",
        "caption e-mm1_100m": lambda: f"/caption/e-mm1_100m/{rng.choice(texts)}",
        "caption e-mm1_100m JSON": lambda: f"/caption/e-mm1_100m/{rng.choice(texts)}?format=json",
        "caption e-mm1_1m": lambda: f"/caption/e-mm1_1m/{rng.choice(texts_1m)}",
        "search (both parts)": lambda: f"/search?q={quote(rng.choice(WORDS))}",
        "search e-mm1_100m": lambda: f"/search?q={quote(rng.choice(WORDS))}&part=e-mm1_100m",
        "search, found nowhere": lambda: f"/search?q={quote(NOWHERE)}",
        "triplets pair+label": lambda: (
            f"/triplets?pair={rng.choice(pairs)}&label={rng.choice(labels)}"
        ),
        "asset e-mm1_100m image": lambda: f"/asset/e-mm1_100m/image/{rng.choice(images)}",
        "eshot category": lambda: f"/eshot/{quote(rng.choice(categories))}",
        "template modality_pair": lambda: (
            "/templates/modality_pair?modality_1=audio&"
            f"modality_2=points&label={rng.choice(labels)}&page={rng.randint(1, 20)}"
        ),
    }
    return {kind: [make() for _ in range(count)] for kind, make in kinds.items()}


class Server:
    def __init__(self, db: Path, time_limit: float):
        cmd = [*EMM1, "serve", "--db", str(db), "--port", "0", "--time-limit", str(time_limit)]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        self.url = re.search(r"http://[^ ]+/", line)[0].rstrip("/")
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        while self.get("/")[0] != 200:  # the overview is computed once, at start
            time.sleep(0.05)
        self.ready = time.perf_counter() - self.started

    def get(self, path: str) -> tuple[int, float, float, float]:
        """(status, server milliseconds, client milliseconds, server CPU milliseconds) of one
        GET. The CPU time is the whole server process's: one request's only when it runs
        alone, and then a measure of its work that other load on the machine does not inflate."""
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(self.url + path, timeout=120) as response:
                response.read()
                status, timing = response.status, response.headers.get("server-timing", "")
        except urllib.error.HTTPError as e:
            e.read()
            status, timing = e.code, e.headers.get("server-timing", "")
        client = (time.perf_counter() - t0) * 1000
        app = re.search(r"app;dur=([0-9.]+)", timing)
        cpu = re.search(r"cpu;dur=([0-9.]+)", timing)
        nan = float("nan")
        return status, float(app[1]) if app else nan, client, float(cpu[1]) if cpu else nan

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def summary(samples: list[tuple[int, float, float, float]], cpu: bool) -> dict:
    server = sorted(s[1] for s in samples)
    client = sorted(s[2] for s in samples)
    p95 = max(0, round(len(server) * 0.95) - 1)
    out = {
        "requests": len(samples),
        "errors": sum(s[0] != 200 for s in samples),
        "server_median_ms": round(statistics.median(server), 1),
        "server_p95_ms": round(server[p95], 1),
        "client_median_ms": round(statistics.median(client), 1),
        "client_p95_ms": round(client[p95], 1),
    }
    if cpu:
        out["server_cpu_median_ms"] = round(statistics.median(s[3] for s in samples), 1)
    return out


def alone(server: Server, urls: dict[str, list[str]]) -> dict:
    out = {}
    for kind, paths in urls.items():
        server.get(paths[0])  # warm: the first request of a kind also loads its code paths
        out[kind] = summary([server.get(p) for p in paths], cpu=True)
        print(f"  alone    {kind:26s} {out[kind]}", flush=True)
    return out


def floors(server: Server, db: Path, urls: dict[str, list[str]], runs: int) -> dict:
    """What the slowest pages cannot go below, measured here in DuckDB on a read-only connection,
    alternating with the page itself (so both see the same load): the caption_groups query of
    the caption page (the same ids, each asked once before it is timed), and for a search that
    finds nothing one case-insensitive scan of every caption, beside an exact-case scan and
    reading every caption once. Wall and CPU milliseconds (CPU: this process, every DuckDB
    thread)."""
    captions = [p for p in urls["caption e-mm1_100m"] if "?" not in p][:runs]
    scans = {
        "case-insensitive scan of every caption": (
            "SELECT count(*) FROM captions WHERE contains_nocase(caption, $w)",
            {"w": NOWHERE},
        ),
        "exact-case scan of every caption": (
            "SELECT count(*) FROM captions WHERE contains(caption, $w)",
            {"w": NOWHERE},
        ),
        "reading every caption once": ("SELECT min(caption) FROM captions", None),
    }
    out: dict[str, list] = {
        "page caption e-mm1_100m": [],
        "query caption_groups": [],
        "page search, found nowhere": [],
        **{name: [] for name in scans},
    }
    with duckdb.connect(str(db), read_only=True) as con:

        def timed(sql: str, params) -> tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            con.execute(sql, params).fetchall()
            return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

        for path in captions:
            _, _, sql, bound = prepare("caption_groups", {"text_id": path.rsplit("/", 1)[1]})
            server.get(path)  # once untimed, so that both have its blocks in memory
            timed(sql, bound)
            _, ms, _, cpu = server.get(path)
            out["page caption e-mm1_100m"].append((ms, cpu))
            out["query caption_groups"].append(timed(sql, bound))
        for _ in range(max(3, runs // 6)):
            _, ms, _, cpu = server.get(f"/search?q={quote(NOWHERE)}")
            out["page search, found nowhere"].append((ms, cpu))
            for name, (sql, params) in scans.items():
                out[name].append(timed(sql, params))
    result = {
        name: {
            "runs": len(v),
            "median_ms": round(statistics.median(w for w, _ in v), 1),
            "cpu_median_ms": round(statistics.median(c for _, c in v), 1),
        }
        for name, v in out.items()
    }
    for name, r in result.items():
        print(f"  floor    {name:40s} {r}", flush=True)
    return result


def together(
    server: Server, urls: dict[str, list[str]], clients: int, rounds: int, think: float
) -> dict:
    """`clients` threads, each visiting every kind `rounds` times in its own shuffled order,
    pausing `think` seconds on average (0 to 2x, at random) after each page, as people do."""
    samples: dict[str, list] = {kind: [] for kind in urls}
    lock = threading.Lock()

    def browse(n: int) -> None:
        rng = random.Random(n)
        visits = [(k, rng.choice(paths)) for k, paths in urls.items() for _ in range(rounds)]
        rng.shuffle(visits)
        for kind, path in visits:
            result = server.get(path)
            with lock:
                samples[kind].append(result)
            time.sleep(rng.uniform(0, 2 * think))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=browse, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    out = {kind: summary(s, cpu=False) for kind, s in samples.items()}
    for kind, s in out.items():
        print(f"  {clients} at once {kind:26s} {s}", flush=True)
    total = sum(len(s) for s in samples.values())
    return {
        "pages": out,
        "requests": total,
        "seconds": round(wall, 2),
        "requests_per_second": round(total / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30, help="per page, one client alone")
    parser.add_argument("--rounds", type=int, default=3, help="visits of each page per client")
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds a client pauses between pages, on average"
    )
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--work", type=Path, default=HERE / "data")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args()

    db = catalog(args.work, args.scale)
    urls = page_urls(db, args.requests)
    server = Server(db, args.time_limit)
    try:
        overview = json.loads(urllib.request.urlopen(server.url + "/?format=json").read())
        print(
            f"server ready in {server.ready:.1f} s (overview computed in {overview['seconds']} s)",
            flush=True,
        )
        result = {
            "scale": args.scale,
            "catalog_bytes": db.stat().st_size,
            "captions": sum(b["captions"] for b in overview["caption_lengths"]["bins"]),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "duckdb": duckdb.__version__,
                "load_average_at_start": os.getloadavg(),
            },
            "ready_seconds": round(server.ready, 2),
            "overview_seconds": overview["seconds"],
            "overview_query_seconds": overview.get("query_seconds"),
            "alone": alone(server, urls),
            "floors": floors(server, db, urls, args.requests),
            "think_seconds": args.think,
            # the page kinds of earlier runs, so that the numbers compare: the found-nowhere
            # search is already in them, as one of the searches' words
            "together": together(
                server,
                {k: v for k, v in urls.items() if k != "search, found nowhere"},
                args.clients,
                args.rounds,
                args.think,
            ),
            "load_average_at_end": os.getloadavg(),
        }
    finally:
        server.stop()
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"serve-scale-{args.scale:g}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
