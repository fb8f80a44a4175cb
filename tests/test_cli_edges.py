"""The edges of every command: a file that is not a catalog as --db, a reader of stdout that
goes away early, and a package that carries all of its SQL and templates."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main

ROOT = Path(__file__).resolve().parents[1]


def not_a_catalog(path: Path, what: str) -> str:
    return (
        f"Error: {path} is not a DuckDB catalog ({what}). --db (or EMM1_DB) takes the catalog "
        "file that `emm1 build` writes, e.g. emm1.duckdb.\n"
    )


COMMANDS = {
    "build": lambda samples, tmp: ["build", str(samples["upstream"])],
    "info": lambda samples, tmp: ["info"],
    "check": lambda samples, tmp: ["check"],
    "sql": lambda samples, tmp: ["sql", "SELECT 1"],
    "config get": lambda samples, tmp: ["config", "get", "asset_root"],
    "config set": lambda samples, tmp: ["config", "set", "asset_root", str(tmp)],
    "connect": lambda samples, tmp: ["connect", "--tool", "python"],
    "shell": lambda samples, tmp: ["shell"],
    "files scan": lambda samples, tmp: ["files", "scan", "--root", str(tmp)],
    "files missing": lambda samples, tmp: ["files", "missing", "--out", str(tmp / "m.csv")],
    "query": lambda samples, tmp: ["query", "counts_by_k"],
    "export": lambda samples, tmp: ["export", "groups", "--out", str(tmp / "x")],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_csv_as_db_is_named_not_a_catalog_and_left_alone(command, samples, tmp_path):
    """DuckDB itself says "Cannot launch in-memory database in read-only mode"."""
    csv = tmp_path / "triplets.csv"
    shutil.copyfile(samples["upstream"] / "e-mm1_1m" / "triplets.csv", csv)
    before = csv.read_bytes()
    args = [*COMMANDS[command](samples, tmp_path), "--db", str(csv)]
    result = CliRunner().invoke(main, args, input="")
    assert (result.exit_code, result.stderr) == (1, not_a_catalog(csv, "a text file, such as CSV"))
    assert csv.read_bytes() == before


def test_a_parquet_file_as_db_in_serve_and_in_python(db, tmp_path):
    import catalog

    parquet = tmp_path / "slice.parquet"
    subprocess.run(
        [sys.executable, "-m", "catalog.cli", "query", "counts_by_k", "--db", db, "--format",
         "parquet"],
        stdout=parquet.open("wb"),
        check=True,
    )  # fmt: skip
    served = subprocess.run(
        [sys.executable, "-m", "catalog.cli", "serve", "--db", parquet, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (served.returncode, served.stderr) == (1, not_a_catalog(parquet, "a Parquet file"))
    with pytest.raises(catalog.CatalogError) as e:
        catalog.open_catalog(parquet)
    assert f"{e.value}\n" == not_a_catalog(parquet, "a Parquet file")[len("Error: ") :]


@pytest.mark.parametrize(
    "args",
    [
        ["sql", "SELECT range AS n, 'row ' || range AS s FROM range(300000)"],
        ["sql", "--format", "csv", "SELECT range AS n FROM range(300000)"],
        ["query", "groups", "-p", "k", "1..16", "--format", "csv"],
        ["query", "groups", "-p", "k", "1..16", "--format", "json"],
        ["query", "groups", "-p", "k", "1..16", "--format", "parquet"],
    ],
)
def test_a_reader_that_stops_reading_ends_the_command_quietly(db, args):
    """`emm1 ... | head -1`: exit 0, nothing on stderr, as `head` and `cat` behave."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "catalog.cli", *args, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.read(20)
    proc.stdout.close()  # as `head` exits
    _, stderr = proc.communicate(timeout=120)
    assert (proc.returncode, stderr.decode()) == (0, "")


def test_the_wheel_carries_every_sql_and_template_file_without_warnings(tmp_path):
    """setuptools warns "Package would be ignored" for a folder of data files it is not told
    of as a package, and a later setuptools leaves its files out of the wheel."""
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("catalog", "sql", "views"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v",
         "--wheel-dir", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    assert "would be ignored" not in built.stdout + built.stderr
    assert "is absent from the `packages` configuration" not in built.stdout + built.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = {".sql", ".j2", ".html", ".css", ".js"}
    wanted = {
        f"catalog/{p.relative_to(ROOT / 'catalog').as_posix()}"
        for p in (ROOT / "catalog").rglob("*")
        if p.suffix in data
    }
    wanted |= {f"catalog/sql/{p.name}" for p in (ROOT / "sql").glob("*.sql*")}
    wanted |= {f"catalog/views/{p.name}" for p in (ROOT / "views").glob("*.sql")}
    assert wanted and wanted <= shipped, sorted(wanted - shipped)


DASH = {
    "export": (["export", "groups", "--out", "-", "--db"], "'--out'", "an export is a folder"),
    "check": (["check", "--report", "-", "--db"], "'--report'", "stdout carries the check results"),
    "sample": (["sample", "-", "--seed"], "'OUT'", "a sample is a folder of files"),
}


@pytest.mark.parametrize("command", list(DASH))
def test_dash_where_stdout_cannot_take_the_output_is_refused_and_writes_nothing(
    command, db, tmp_path
):
    """`-` is stdout wherever the output can go there (`files missing --out -`, tested with it);
    elsewhere it must not quietly become a file or folder named `-`."""
    args, option, why = DASH[command]
    result = subprocess.run(
        [sys.executable, "-m", "catalog.cli", *args, str(db) if args[-1] == "--db" else "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for {option}: - (stdout) cannot be used here: ")
    assert why in last and last.endswith("write ./- for one named -.")
    assert list(tmp_path.iterdir()) == []


def test_the_data_card_goes_to_a_new_folder_or_says_why_it_cannot(db, tmp_path):
    card = tmp_path / "cards" / "2026" / "card.html"
    made = CliRunner().invoke(main, ["check", "--db", str(db), "-q", "--report", str(card)])
    assert "wrote the data card to" in made.stderr
    assert card.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    (tmp_path / "file").write_text("")
    blocked = tmp_path / "file" / "card.html"
    refused = CliRunner().invoke(main, ["check", "--db", str(db), "-q", "--report", str(blocked)])
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        f"Error: {blocked}: cannot write the data card here (File exists). Give --report a "
        "file in a folder you can write to."
    )
