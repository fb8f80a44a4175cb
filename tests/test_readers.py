"""Exports read back by directory, exactly, in pyarrow, DuckDB, polars, Daft, Ray Data and Spark.

Each reader runs in its own process with the readers `make clients` installs
(.clients/readers-venv) and reads every export folder with the call the README gives for it
(tests/clients/read_export.py). Rows, columns and values must equal what DuckDB returns for the
same query on the catalog: NULLs, empty text, embedded newlines, quotes, commas, backslashes,
non-ASCII text, text that looks like a number, and partition values of all of those, including
a partition whose file has a column that is NULL throughout (JSON readers guess types per file).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from catalog.export import export_slice, manifest_path

ROOT = Path(__file__).resolve().parents[1]
READERS_PYTHON = ROOT / ".clients" / "readers-venv" / "bin" / "python"
READ_EXPORT = Path(__file__).parent / "clients" / "read_export.py"
READERS = ["pyarrow", "duckdb", "polars", "daft", "ray", "spark"]
FORMATS = ["parquet", "csv", "jsonl"]

# Catalog rows with hostile values beside them; `bucket` 6 puts a NULL-only `note` column into
# the first partition file, `bucket` 3 a NULL partition value.
QUERY = """
SELECT g.encord_text_id, g.nn_index, g.caption, g.image_file_path,
       x.category, x.note, x.score, x.flag,
       CAST(x.modality AS ENUM('image', 'audio')) AS modality
FROM nn_groups_resolved AS g
JOIN (VALUES
    (0, 'café noise', 'a "quoted", comma', 0.1, true, 'image'),
    (1, 'São Paulo', 'two' || chr(10) || 'lines' || chr(13) || chr(10) || 'and CRLF', -1e300,
     false, 'audio'),
    (2, 'dog', '', 2.5, NULL, NULL),
    (3, NULL, 'null', NULL, true, 'audio'),
    (4, '日本 / rain', 'back\\slash ☕ and , ; |', 1e-7, false, 'image'),
    (5, '0012', '0012', 3.0, true, 'audio'),
    (6, '', NULL, 42.0, false, 'image')
) AS x(bucket, category, note, score, flag, modality) ON g.encord_text_id % 7 = x.bucket
WHERE g.nn_index <= 2
"""
PARTITION_BY = ["category", "nn_index"]
# The first words of captions with non-ASCII text in them (São Paulo, café, Zürich).
BY_CAPTION = (
    "SELECT part, encord_text_id, left(caption, 24) AS caption_start FROM captions "
    "WHERE encord_text_id < 60 AND regexp_matches(left(caption, 24), '[^\\x00-\\x7F]')"
)


def exports_to_read(db: Path, root: Path) -> list[dict]:
    """Every format, partitioned and not, of QUERY; and the captions partitioned by caption
    (non-ASCII folder names) for Spark's own hive partition discovery."""
    exports = []
    for fmt in FORMATS:
        for partition_by in ([], PARTITION_BY):
            name = f"{fmt}{'_partitioned' if partition_by else ''}"
            export_slice(db, root / name, sql=QUERY, fmt=fmt, partition_by=partition_by)
            exports.append({"name": name, "path": str(root / name), "format": fmt})
    export_slice(
        db,
        root / "by_caption",
        sql=BY_CAPTION,
        partition_by=["caption_start"],
    )
    exports.append(
        {"name": "by_caption", "path": str(root / "by_caption"), "format": "parquet", "hive": True}
    )
    return exports


@pytest.fixture(scope="module")
def answers(db, tmp_path_factory) -> tuple[list[dict], dict]:
    """The exports, and each reader's answer for each of them. The readers run at once, each
    in its own process (Spark in one session for all exports)."""
    if not READERS_PYTHON.exists():
        pytest.skip(f"the readers are not installed at {READERS_PYTHON}: run `make clients`")
    exports = exports_to_read(db, tmp_path_factory.mktemp("exports"))
    request = json.dumps({"exports": exports})
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    running = {}
    for reader in READERS:
        if reader == "spark" and shutil.which("java") is None:
            continue
        running[reader] = subprocess.Popen(
            [str(READERS_PYTHON), str(READ_EXPORT), reader],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        running[reader].stdin.write(request)
        running[reader].stdin.close()
    out = {}
    for reader, proc in running.items():
        stdout = proc.stdout.read()
        stderr = proc.stderr.read()
        proc.wait(timeout=600)
        assert proc.returncode == 0, f"{reader}: {stderr[-3000:]}"
        out[reader] = json.loads(stdout)
    return exports, out


def expected(db: Path, export: dict) -> dict:
    """What DuckDB returns for the export's query (from its manifest); CSV as text."""
    manifest = json.loads(manifest_path(export["path"]).read_text())
    names = [c["name"] for c in manifest["columns"]]
    query = manifest["query"]
    if export["format"] == "csv":
        casts = ", ".join(f'CAST("{n}" AS VARCHAR) AS "{n}"' for n in names)
        query = f"SELECT {casts} FROM ({query})"
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(query).fetchall()
    return {"columns": names, "rows": rows}


def as_bag(rows) -> list[str]:
    """Rows in a canonical order, values as JSON (so 1 and 1.0 stay apart, NULL is null)."""
    return sorted(json.dumps(list(row), ensure_ascii=False) for row in rows)


def run_case(answers, db, reader, name) -> tuple[dict, dict]:
    exports, out = answers
    if reader not in out:
        pytest.skip("Spark needs java: `make clients` installs openjdk-17-jre-headless as root")
    [export] = [e for e in exports if e["name"] == name]
    got = out[reader][name]
    assert "error" not in got, f"{reader} cannot read {name}: {got['error']}"
    return got, expected(db, export)


@pytest.mark.parametrize("name", [f"{f}{p}" for f in FORMATS for p in ("", "_partitioned")])
@pytest.mark.parametrize("reader", READERS)
def test_every_reader_reads_every_export_exactly(answers, db, reader, name):
    got, want = run_case(answers, db, reader, name)
    assert got["columns"] == want["columns"]
    rows = want["rows"]
    if reader == "daft" and name.startswith("csv"):
        # Daft reads an empty CSV field as '' in a text column (README): NULL and '' are one.
        rows = [["" if v is None else v for v in row] for row in rows]
        assert any(None in row for row in want["rows"])  # the case is really there
    assert rows and as_bag(got["rows"]) == as_bag(rows)


def test_spark_reads_non_ascii_partition_folders_it_discovers(answers, db):
    """Spark's own hive partition discovery takes the value from the folder name: a name
    with percent-encoded UTF-8 bytes came back as Latin-1 (cafÃ©)."""
    got, want = run_case(answers, db, "spark", "by_caption")
    assert sorted(got["columns"]) == sorted(want["columns"])
    order = [got["columns"].index(c) for c in want["columns"]]
    assert as_bag([[row[i] for i in order] for row in got["rows"]]) == as_bag(want["rows"])
    starts = [row[want["columns"].index("caption_start")] for row in want["rows"]]
    assert any(not start.isascii() for start in starts)
