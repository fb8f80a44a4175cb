"""The one exception users see. Its message is written for them: the thing, the place, the fix."""

from __future__ import annotations

import re

# DuckDB points at the failing token with two lines: `LINE 1: <the query line>` and carets
# under it. On one line of a message they read as noise; the message before them names the token.
_POINTER = re.compile(r"^(LINE \d+:.*|\s*\^+\s*)$")


class CatalogError(Exception):
    """Anything the user can act on. The CLI prints the message without a traceback."""


def duckdb_message(error: BaseException) -> str:
    """DuckDB's whole message on one line, its hints kept: `Did you mean "triplets_labeled"?`,
    `Candidate bindings: ...`, the candidate signatures of a function or macro. Empty lines and
    the LINE pointer under the query are dropped; an indented list (candidates) is joined with
    `; ` after the line that introduces it."""
    parts: list[str] = []
    in_list = False
    for line in str(error).splitlines():
        text = line.strip()
        if not text or _POINTER.match(line):
            continue
        item = line[:1].isspace()
        if item and in_list:
            parts[-1] += f"; {text}"
        elif item and parts and parts[-1].endswith(":"):
            parts[-1] += f" {text}"
            in_list = True
        else:
            parts.append(text)
            in_list = False
    return " ".join(parts) or type(error).__name__


def sentence(text: str) -> str:
    """`text` ending with a full stop, unless it ends with one already (or with ? or !)."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."
