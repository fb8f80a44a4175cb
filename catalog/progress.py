"""Progress lines on stderr, for work that takes more than a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def count(n: int, one: str, many: str | None = None) -> str:
    """`n` and the noun that fits it: count(1, "file") is '1 file', count(2_000, "file")
    '2,000 files'; `many` where the plural is not `one` + s."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


class Progress:
    """Step-by-step progress. Silent when disabled (not a terminal, or --quiet)."""

    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._started = 0.0

    @classmethod
    def for_terminal(cls, quiet: bool = False) -> Progress:
        return cls(enabled=not quiet and sys.stderr.isatty())

    def start(self, step: str) -> None:
        self._started = time.perf_counter()
        if self.enabled:
            self.stream.write(f"{step} ...")
            self.stream.flush()

    def done(self, result: str) -> None:
        if self.enabled:
            self.stream.write(f" {result} ({time.perf_counter() - self._started:.1f} s)\n")
            self.stream.flush()

    def note(self, message: str) -> None:
        if self.enabled:
            self.stream.write(message + "\n")
            self.stream.flush()
