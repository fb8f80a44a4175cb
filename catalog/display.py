"""Results for people at a terminal: a boxed table, or `line` (one `column = value` line per
column, a blank line between rows, for rows too wide for a table).

Only the rows shown reach Python, as text DuckDB formatted; the rest of the result streams past
in Arrow batches and is counted, so the footer can say how many rows there are and how to see
them all. Counting stops at COUNT_UP_TO rows (DuckDB then stops the query): past that, the
footer says "more than". Long values wrap at spaces (or after `/`, `_`, `-` in a long path or
name), never in the middle of a word that fits on a line; a line break in a value starts a new
line in its cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TextIO

import duckdb

BATCH_ROWS = 100_000
COUNT_UP_TO = 100_000  # a larger result is "more than" this, so a huge one is not run to its end
MIN_WIDTH = 12  # a column is not narrowed below this (or below its type's name)
_NUMBERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE"}
_NUMBERS |= {"U" + n for n in _NUMBERS if n.endswith("INT")}
_TYPE_NAMES = {"TINYINT": "int8", "SMALLINT": "int16", "INTEGER": "int32", "BIGINT": "int64"}
_TYPE_NAMES.update({"HUGEINT": "int128", "UTINYINT": "uint8", "USMALLINT": "uint16"})
_TYPE_NAMES.update({"UINTEGER": "uint32", "UBIGINT": "uint64", "UHUGEINT": "uint128"})
_WORDS = re.compile(r"\S+\s*")
_BREAK_AFTER = "/_-"


class Shown:
    """The first rows of a result as text (None for NULL), and how many rows it has."""

    def __init__(self, rel: duckdb.DuckDBPyRelation, max_rows: int | None):
        self.columns = list(rel.columns)
        self.types = [_type_name(t) for t in rel.types]
        self.right = [str(t) in _NUMBERS or str(t).startswith("DECIMAL") for t in rel.types]
        self.rows: list[tuple] = []
        self.total = 0
        self.more = False  # True when counting stopped at COUNT_UP_TO
        text = rel.project("COLUMNS(*)::VARCHAR") if self.columns else rel
        if max_rows is not None:
            text = text.limit(max(max_rows, COUNT_UP_TO) + 1)
        for batch in text.to_arrow_reader(BATCH_ROWS):
            room = batch.num_rows if max_rows is None else max(0, max_rows - len(self.rows))
            if room:
                head = batch.slice(0, room)
                self.rows += zip(*(c.to_pylist() for c in head.columns), strict=True)
            self.total += batch.num_rows
        if max_rows is not None and self.total > max(max_rows, COUNT_UP_TO):
            self.total, self.more = self.total - 1, True

    def footer(self, more: str) -> str:
        rows = f"{self.total:,} row{'' if self.total == 1 else 's'}"
        if self.more:
            rows = f"more than {rows}"
        if len(self.rows) < self.total:
            return f"{rows}, {len(self.rows):,} shown: {more}"
        return rows


def write_table(rel, out: TextIO, width: int, max_rows: int | None, more: str) -> None:
    """`rel` as a boxed table at most `width` characters wide (if its columns fit at all)."""
    shown = Shown(rel, max_rows)
    cells = [[_lines(v) for v in row] for row in shown.rows]
    natural = [
        max([_width(shown.columns[i]), _width(shown.types[i])] + [_longest(r[i]) for r in cells])
        for i in range(len(shown.columns))
    ]
    widths = _fit(natural, [max(MIN_WIDTH, _width(t)) for t in shown.types], width)
    header = [_wrap_all([shown.columns[i]], w) for i, w in enumerate(widths)]
    types = [[shown.types[i]] for i in range(len(widths))]
    body = [[_wrap_all(lines, w) for lines, w in zip(row, widths, strict=True)] for row in cells]
    tall = any(len(c) > 1 for row in body for c in row)
    lines = [_rule("┌", "┬", "┐", widths)]
    lines += _row(header, widths, [None] * len(widths))
    lines += _row(types, widths, [None] * len(widths))
    lines.append(_rule("├", "┼", "┤", widths))
    for n, row in enumerate(body):
        if tall and n:  # rows of several lines are told apart by a rule
            lines.append(_rule("├", "┼", "┤", widths))
        lines += _row(row, widths, shown.right)
    lines.append(_rule("└", "┴", "┘", widths))
    lines.append(shown.footer(more))
    out.write("\n".join(lines) + "\n")


def write_lines(rel, out: TextIO, max_rows: int | None, more: str) -> None:
    """`rel` as `column = value` lines, names aligned, a blank line between rows."""
    shown = Shown(rel, max_rows)
    pad = max((_width(c) for c in shown.columns), default=0)
    blocks = []
    for row in shown.rows:
        block = []
        for name, value in zip(shown.columns, row, strict=True):
            first, *rest = _lines(value)
            block.append(f"{' ' * (pad - _width(name))}{name} = {first}")
            block += [" " * (pad + 3) + line for line in rest]
        blocks.append("\n".join(block))
    text = "\n\n".join(blocks)
    out.write((text + "\n\n" if text else "") + shown.footer(more) + "\n")


def _rule(left: str, middle: str, right: str, widths: list[int]) -> str:
    return left + middle.join("─" * (w + 2) for w in widths) + right


def _row(cells: list[list[str]], widths: list[int], right: list[bool | None]) -> list[str]:
    """The text lines of one table row: each cell's lines padded to its width (None: center)."""
    height = max((len(c) for c in cells), default=1)
    out = []
    for k in range(height):
        parts = []
        for cell, w, r in zip(cells, widths, right, strict=True):
            text = cell[k] if k < len(cell) else ""
            gap = w - _width(text)
            if r is None:
                parts.append(" " * (gap // 2) + text + " " * (gap - gap // 2))
            else:
                parts.append(" " * gap + text if r else text + " " * gap)
        out.append("│ " + " │ ".join(parts) + " │")
    return out


def _fit(natural: list[int], floors: list[int], width: int) -> list[int]:
    """Column widths: the natural ones, the widest narrowed first until the table fits in
    `width`, none below its floor (a table of many columns may stay wider)."""
    widths = list(natural)
    room = width - (3 * len(widths) + 1)
    while sum(widths) > room:
        narrowable = [i for i, w in enumerate(widths) if w > min(floors[i], natural[i])]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def _lines(value: str | None) -> list[str]:
    if value is None:
        return ["NULL"]
    return value.replace("\r\n", "\n").expandtabs(4).split("\n")


def _longest(lines: Iterable[str]) -> int:
    return max((_width(line) for line in lines), default=0)


def _wrap_all(lines: list[str], width: int) -> list[str]:
    return [part for line in lines for part in wrap(line, width)]


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` display columns, broken at spaces; a word longer than
    a line breaks after its last `/`, `_` or `-` that fits, else where the line ends."""
    width = max(width, 1)
    lines, line = [], ""
    for token in _WORDS.findall(text):
        word = token.rstrip()
        space = token[len(word) :]
        if line and _width(line + word) > width:
            lines.append(line.rstrip())
            line = ""
        while not line and _width(word) > width:  # longer than a line: the one place to cut
            cut = _cut(word, width)
            lines.append(word[:cut])
            word = word[cut:]
        line += word + space
    lines.append(line.rstrip())
    return lines


def _cut(word: str, room: int) -> int:
    """Where to break `word` to fill at most `room` columns (at least one character)."""
    end, used = 0, 0
    for ch in word:
        used += _char_width(ch)
        if used > room:
            break
        end += 1
    end = max(end, 1)
    soft = max((i + 1 for i, ch in enumerate(word[:end]) if ch in _BREAK_AFTER), default=0)
    return soft if soft > end // 2 else end


def _width(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _type_name(t) -> str:
    """A column type as DuckDB's own tables name it: int64 for BIGINT, varchar, ..."""
    name = str(t)
    if name.startswith("ENUM"):
        return "enum"
    if name.endswith("[]"):
        return _type_name(name[:-2]) + "[]"
    return _TYPE_NAMES.get(name, name.lower().strip('"'))
