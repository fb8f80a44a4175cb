"""The overview page's facts and charts: computed once, when the explorer starts (in a thread of
their own, so other pages answer at once), and kept, since the catalog it opened does not
change under it. The costly part is the caption length histogram, which reads every caption."""

from __future__ import annotations

import threading
import time

from catalog.sqltext import resource_text
from catalog.templates import prepare
from catalog.web import charts
from catalog.web.database import Database
from catalog.web.resolve import PARTS

LENGTH_STEP = 10  # caption length histogram: bins of 10 characters
LENGTH_LAST = 400  # and one bin for every caption of 400 characters or more
LABELS = ("Good Match", "Partial Match", "Bad (No) Match")


def _sql(name: str) -> str:
    return resource_text("catalog.web", f"sql/{name}.sql")


class Overview:
    """The overview of the catalog in `db`, computed once in the background (`start`)."""

    def __init__(self, db: Database):
        self.db = db
        self._done = threading.Event()
        self._data: dict | None = None
        self._error: Exception | None = None

    def start(self) -> None:
        threading.Thread(target=self._compute, name="overview", daemon=True).start()

    def get(self, timeout: float) -> dict | None:
        """The overview, waiting up to `timeout` seconds for it; None if it is not ready."""
        if not self._done.wait(timeout):
            return None
        if self._error is not None:
            raise self._error
        return self._data

    def _compute(self) -> None:
        try:
            t0 = time.perf_counter()
            data = facts(self.db)
            data["seconds"] = round(time.perf_counter() - t0, 3)
            self._data = data
        except Exception as e:  # shown on the page that asks for it
            self._error = e
        finally:
            self._done.set()


def _rows(db: Database, sql: str, params: dict | None = None) -> list[dict]:
    with db.cursor(time_limit=0) as cur:  # once, at start: no time limit
        result = cur.execute(sql, params) if params else cur.execute(sql)
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _template(db: Database, name: str) -> list[dict]:
    _, _, sql, bound = prepare(name, {})
    return _rows(db, sql, bound)


def facts(db: Database) -> dict:
    """Everything the overview shows, as plain data (the page's JSON), with the seconds each
    query took."""
    seconds: dict[str, float] = {}

    def timed(name: str, run):
        t0 = time.perf_counter()
        out = run()
        seconds[name] = round(time.perf_counter() - t0, 3)
        return out

    info = {r["key"]: r["value"] for r in timed("overview", lambda: _rows(db, _sql("overview")))}
    tables = timed("tables", lambda: _rows(db, resource_text("catalog", "load/table_rows.sql")))
    lengths = timed(
        "caption_lengths",
        lambda: _rows(db, _sql("caption_lengths"), {"width": LENGTH_STEP, "last_bin": LENGTH_LAST}),
    )
    by_source = timed("counts_by_source", lambda: _template(db, "counts_by_source"))
    by_label = timed("counts_by_label", lambda: _template(db, "counts_by_label"))
    coverage = timed("coverage", lambda: _rows(db, _sql("coverage")))
    return {
        "catalog": {
            "path": str(db.path),
            "built_at": info.get("built_at"),
            "tool_version": info.get("tool_version"),
            "duckdb_version": info.get("duckdb_version"),
            "storage_version": info.get("storage_version"),
            "data_dir": info.get("data_dir"),
            "parts": [p for p in (info.get("parts") or "").split(",") if p],
            "absent_files": [p for p in (info.get("absent_files") or "").split(",") if p],
            "nn_shards": [int(k) for k in (info.get("nn_shards") or "").split(",") if k],
            "source_files": int(info.get("source_files") or 0),
            "source_bytes": int(info.get("source_bytes") or 0),
            "skipped_files": int(info.get("skipped_files") or 0),
            "settings": {
                k.removeprefix("settings."): v for k, v in info.items() if k.startswith("settings.")
            },
        },
        "tables": [{"table": r["table_name"], "rows": r["estimated_size"]} for r in tables],
        "items_by_source": by_source,
        "triplets_by_label": by_label,
        "caption_lengths": {"step": LENGTH_STEP, "last": LENGTH_LAST, "bins": lengths},
        "coverage": coverage,
        "query_seconds": seconds,
    }


def draw(data: dict) -> dict:
    """The charts of the overview, from its facts."""
    by_modality: dict[str, dict[str, dict[str, int]]] = {}
    for r in data["items_by_source"]:
        label = f"{r['source_dataset'] or '(no source)'} · {r['dataset_license'] or '(no licence)'}"
        per_part = by_modality.setdefault(str(r["modality"]), {}).setdefault(label, {})
        per_part[str(r["part"])] = per_part.get(str(r["part"]), 0) + r["items"]
    sources = {
        modality: charts.bars(
            sorted(
                ((label, sorted(parts.items())) for label, parts in rows.items()),
                key=lambda row: -sum(v for _, v in row[1]),
            ),
            keys=PARTS,
        )
        for modality, rows in by_modality.items()
    }
    pairs: dict[str, list[tuple[str, int]]] = {}
    for r in data["triplets_by_label"]:
        pair = f"{r['paired_modality']} → {r['annotated_modality']}"
        pairs.setdefault(pair, []).append((r["annotation_label"] or "(no label)", r["triplets"]))
    lengths = data["caption_lengths"]
    per_bin: dict[int, int] = {}
    for r in lengths["bins"]:
        per_bin[r["length_from"]] = per_bin.get(r["length_from"], 0) + r["captions"]
    coverage = charts.bars(
        (
            f"{r['part']} {r['modality']}",
            [("on disk", r["present"]), ("not downloaded", r["expected"] - r["present"])],
        )
        for r in data["coverage"]
    )
    return {
        "sources": sources,
        "labels": charts.bars(pairs.items(), keys=LABELS),
        "lengths": charts.histogram(per_bin.items(), lengths["step"], lengths["last"]),
        "coverage": coverage if data["coverage"] else None,
    }
