"""Editing a sample's CSV files in tests: damage one record, add one, change a column."""

from __future__ import annotations

import csv
import io
from pathlib import Path


def rewrite_csv(path: Path, change) -> None:
    """Rewrite a CSV through `change(records)`, which edits the list of dicts in place; the
    header and its order stay as they were."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, records = list(reader.fieldnames), list(reader)
    change(records)
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    path.write_text(out.getvalue(), encoding="utf-8")
