"""Chart geometry for the overview page: numbers in, rectangles out. The HTML template draws them
as inline SVG (rect and text elements, coloured by CSS classes), so charts are real text and
shapes, need no script and no image, and scale with the page."""

from __future__ import annotations

from collections.abc import Iterable

LABEL_WIDTH = 300  # room for the bar labels, left of the bars
LABEL_CHARS = 44  # a longer label is cut, and shown whole when the pointer rests on the bar
ROW_HEIGHT = 22
SERIES = 6  # CSS classes s0..s5 colour the segments


def bars(
    rows: Iterable[tuple[str, list[tuple[str, int]]]],
    keys: Iterable[str] = (),
    width: int = 760,
) -> dict:
    """Horizontal bars, one per (label, [(series, value), ...]), the segments of a bar side by
    side; every bar on one scale, the longest filling the width. `keys` orders the series (and
    so their colours); series not named there follow in the order they appear."""
    rows = [(label, [(k, v or 0) for k, v in segments]) for label, segments in rows]
    seen = [k for _, segments in rows for k, _ in segments]
    keys = [k for k in keys if k in seen] + list(dict.fromkeys(k for k in seen if k not in keys))
    longest = max((sum(v for _, v in segments) for _, segments in rows), default=0) or 1
    room = width - LABEL_WIDTH - 90  # and room for the total, right of the bar
    out = []
    for i, (label, segments) in enumerate(rows):
        x = LABEL_WIDTH
        drawn = []
        for key, value in segments:
            w = room * value / longest
            drawn.append(
                {
                    "x": round(x, 1),
                    "w": round(w, 1),
                    "key": key,
                    "value": value,
                    "cls": f"s{keys.index(key) % SERIES}",
                }
            )
            x += w
        total = sum(v for _, v in segments)
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        out.append(
            {
                "y": i * ROW_HEIGHT,
                "label": short,
                "title": label,
                "total": total,
                "end": round(x, 1),
                "segments": drawn,
            }
        )
    return {
        "width": width,
        "height": max(len(out), 1) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "rows": out,
        "legend": [{"key": k, "cls": f"s{i % SERIES}"} for i, k in enumerate(keys)]
        if len(keys) > 1
        else [],
    }


def histogram(
    counts: Iterable[tuple[int, int]], step: int, last: int, width: int = 720, height: int = 180
) -> dict:
    """Vertical columns, one per bin (start, count) of `step` wide; the bin at `last` holds
    everything from there on."""
    counts = dict(counts)
    starts = list(range(0, last + 1, step))
    tallest = max(counts.values(), default=0) or 1
    column = width / len(starts)
    out = []
    for i, start in enumerate(starts):
        n = counts.get(start, 0)
        h = (height - 20) * n / tallest
        label = f"{start}+" if start == last else f"{start}-{start + step - 1}"
        out.append(
            {
                "x": round(i * column, 1),
                "w": round(max(column - 1, 1), 1),
                "y": round(height - 20 - h, 1),
                "h": round(h, 1),
                "label": label,
                "count": n,
                "tick": i % max(len(starts) // 8, 1) == 0,
                "from": start,
            }
        )
    return {"width": width, "height": height, "columns": out, "axis": height - 20}
