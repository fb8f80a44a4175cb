"""`emm1 check --report FILE.html`: one self-contained HTML data card of a catalog.

The card shows the checks and their results, items per part, modality, source dataset and
licence, a histogram of caption lengths, what is on disk after a scan and how the catalog was
built. It loads nothing: the styles are inline, the charts are inline SVG, there is no script,
and a Content-Security-Policy forbids fetching anything. The queries are in
catalog/checks/report/*.sql; the page is catalog/checks/report/card.html.j2, rendered with
autoescaping (captions and licence texts are never trusted as HTML). Chart geometry is computed
here, so the template only places what it is given.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import jinja2

from catalog import __version__
from catalog.check import CheckReport
from catalog.db import connect_read_only
from catalog.errors import CatalogError
from catalog.progress import human_bytes
from catalog.sqltext import resource_text

QUERIES = ("modalities", "sources", "licences", "caption_lengths", "coverage", "files")
TEMPLATE = "checks/report/card.html.j2"
BAR = 18  # height of one bar, pixels
GAP = 6  # space between bars


def write_report(report: CheckReport, out: str | os.PathLike) -> Path:
    """Write the data card of the catalog `report` was made from to `out`, creating the folders
    above it."""
    out = Path(out)
    with connect_read_only(report.db) as con:
        data = {name: _rows(con, name) for name in QUERIES}
    html = render_card(report, data)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    except OSError as e:
        raise CatalogError(
            f"{out}: cannot write the data card here ({e.strerror}). Give --report a file in a "
            "folder you can write to."
        ) from None
    return out


def _rows(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    cur = con.execute(resource_text("catalog", f"checks/report/{name}.sql"))
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def render_card(report: CheckReport, data: dict[str, list[dict]]) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["bytes"] = lambda n: "" if n is None else human_bytes(n)
    env.filters["num"] = lambda n: "" if n is None else f"{n:,}"
    template = env.from_string(resource_text("catalog", TEMPLATE))
    lengths = data["caption_lengths"]
    return template.render(
        report=report,
        facts=report.facts,
        results=report.results,
        data=data,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        version=__version__,
        modality_chart=hbars(
            [(f"{r['part']} {r['modality']}", r["items"]) for r in data["modalities"]]
        ),
        licence_chart=hbars([(r["licence"], r["items"]) for r in data["licences"]]),
        length_chart=vbars(
            [(f"{r['low']}+" if r["open_ended"] else str(r["low"]), r["captions"]) for r in lengths]
        ),
        coverage_chart=hbars(
            [
                (f"{r['part']} {r['modality']}", round(100 * r["present"] / r["expected"], 1))
                for r in data["coverage"]
                if r["expected"]
            ],
            top=100,
            unit="%",
        ),
    )


def hbars(
    rows: list[tuple[str, float]], top: float | None = None, unit: str = "", width: int = 640
) -> dict:
    """A horizontal bar chart: one bar per (label, value), scaled to `top` (default: the
    largest value), as SVG coordinates."""
    label_width, value_width = 230, 90
    span = width - label_width - value_width
    top = top or max((v for _, v in rows), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(rows):
        bars.append(
            {
                "label": label if len(label) <= 34 else label[:33] + "…",
                "title": label,
                "value": f"{value:,}{unit}",
                "y": i * (BAR + GAP),
                "w": round(span * value / top, 1),
            }
        )
    return {
        "width": width,
        "height": max(len(rows) * (BAR + GAP), BAR),
        "x": label_width,
        "bar": BAR,
        "bars": bars,
    }


def vbars(rows: list[tuple[str, float]], width: int = 640, height: int = 200) -> dict:
    """A histogram: one vertical bar per (label, value), labels below, as SVG coordinates."""
    top = max((v for _, v in rows), default=0) or 1
    step = (width - 40) / max(len(rows), 1)
    plot = height - 40
    bars = []
    for i, (label, value) in enumerate(rows):
        h = round(plot * value / top, 1)
        bars.append(
            {
                "label": label,
                "value": f"{value:,}",
                "x": round(40 + i * step, 1),
                "w": round(step * 0.85, 1),
                "y": round(10 + plot - h, 1),
                "h": h,
                "mid": round(40 + i * step + step * 0.425, 1),
            }
        )
    return {"width": width, "height": height, "base": 10 + plot, "bars": bars, "top": f"{top:,}"}
