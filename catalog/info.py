"""`emm1 info`: what a catalog holds and where it came from."""

from __future__ import annotations

from pathlib import Path

from catalog.db import connect_read_only, first_row
from catalog.discover import NN_SHARDS, PARTS, lfs_pull_command
from catalog.files import describe_scan
from catalog.progress import count, human_bytes
from catalog.sqltext import resource_text


def describe(db: Path) -> str:
    """A human-readable report of the catalog at `db`."""
    with connect_read_only(db) as con:
        facts = dict(con.execute("SELECT key, value FROM catalog_info").fetchall())
        settings = dict(con.execute("SELECT key, value FROM settings ORDER BY key").fetchall())
        tables = con.execute(resource_text("catalog", "load/table_rows.sql")).fetchall()
        shards = [
            k
            for (k,) in con.execute("SELECT DISTINCT nn_index FROM nn_groups ORDER BY 1").fetchall()
        ]
        skipped = con.execute(
            "SELECT path, lfs_include FROM skipped_files ORDER BY path"
        ).fetchall()
        files = first_row(con, "SELECT count(*), sum(bytes), sum(rows) FROM source_files")
        on_disk = describe_scan(con)
    present = facts.get("parts", "").split(",") if facts.get("parts") else []
    lines = [
        f"catalog      {db} ({human_bytes(db.stat().st_size)})",
        f"built        {facts.get('built_at')} by emm1 {facts.get('tool_version')}, "
        f"duckdb {facts.get('duckdb_version')}, storage {facts.get('storage_version')}",
        f"data folder  {facts.get('data_dir')}",
        "parts        "
        + ", ".join(p.name + ("" if p.name in present else " (absent)") for p in PARTS),
        f"nn shards    {_ranges(shards) or 'none'}"
        + (
            f"; missing {_ranges(sorted(set(range(1, NN_SHARDS + 1)) - set(shards)))}"
            if len(shards) < NN_SHARDS
            else ""
        ),
        f"ingested     {count(files[0], 'file')}, {human_bytes(files[1] or 0)}, "
        f"{count(files[2] or 0, 'row')}",
        "settings     " + ", ".join(f"{k}={v}" for k, v in settings.items()),
        *on_disk,
        "",
        "table                     rows",
    ]
    lines += [f"{name:<22} {rows:>7,}" for name, rows in tables]
    if skipped:
        lines += ["", "skipped (git LFS pointers):"]
        lines += [f"  {path}" for path, _ in skipped]
        lines += [f"fetch them: {lfs_pull_command([include for _, include in skipped])}"]
    if facts.get("absent_files"):
        lines += ["", "absent: " + ", ".join(facts["absent_files"].split(","))]
    return "\n".join(lines)


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
