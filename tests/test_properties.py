"""Properties that hold whatever a hostile user feeds the loader and the SQL sandbox.

Hypothesis generates CSV fields (quotes, newlines, odd numbers, non-ASCII, huge values) for
`emm1 build` and SQL made of hostile fragments (ATTACH, DETACH, COPY to the catalog, `.tmp`,
symlinks out of the allowed folder, SET) for `emm1 sql` and `emm1 shell`. Whatever the input:
no traceback, at most a one-line error, the catalog unchanged, nothing written outside the
allowed folder, nothing read from outside it.

Runs are derandomized by default, so CI sees the same examples every time; set
HYPOTHESIS_PROFILE=explore for a longer randomized search.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.cli import main

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file below `folder` (links not followed): size and a digest of its bytes."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames + [d for d in dirnames if Path(dirpath, d).is_symlink()]:
            path = Path(dirpath, name)
            if path.is_symlink():
                found[str(path)] = (0, os.readlink(path).encode())
            else:
                found[str(path)] = (path.stat().st_size, hashlib.sha1(path.read_bytes()).digest())
    return found


def assert_clean_failure(result, *, names: str) -> None:
    """Exit 0, or exit 1 with exactly one `Error: ...` line naming `names`; never a traceback."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback: {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.stderr
    if result.exit_code == 1:
        lines = result.stderr.splitlines()
        assert lines[0].startswith("Error: "), result.stderr
        assert names in lines[0], result.stderr


# ---------------------------------------------------------------------------------------------
# The loader

# Characters that break naive CSV handling and lenient number parsing.
HOSTILE = "\",\n\r;'\\ \t0123456789eExXbB_+-.éü中\u2028\ufeff"
hostile_text = st.text(alphabet=st.sampled_from(HOSTILE), max_size=20) | st.text(max_size=40)
id_field = (
    st.integers(min_value=0, max_value=2**31 - 1).map(str)
    | st.sampled_from(["1e3", "0x10", "0b101", "1_000", "7.5", "+78", " 77 ", "-1", "", "12x4"])
    | hostile_text
)


def write_text_infos(data: Path, rows: list[tuple[str, str]], quote_all: bool) -> Path:
    """E-MM1:1M captions only: the smallest data folder `emm1 build` accepts."""
    folder = data / "e-mm1_1m" / "infos"
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(
        out, lineterminator="\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    writer.writerow(["encord_text_id", "caption"])
    writer.writerows(rows)
    path = folder / "text.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def built(tmp_path) -> Path:
    """A good catalog at tmp/out/emm1.duckdb that every failed build must leave untouched."""
    data = tmp_path / "good"
    write_text_infos(data, [("1", "a caption")], quote_all=False)
    db = tmp_path / "out" / "emm1.duckdb"
    result = CliRunner().invoke(main, ["build", str(data), "--db", str(db), "--quiet"])
    assert result.exit_code == 0, result.output
    return db


def build(data: Path, db: Path):
    return CliRunner().invoke(main, ["build", str(data), "--db", str(db), "--quiet"])


@given(
    captions=st.lists(st.text(max_size=300).filter(lambda s: "\x00" not in s), max_size=8),
    quote_all=st.booleans(),
)
def test_any_caption_round_trips_exactly(built, tmp_path, captions, quote_all):
    data = tmp_path / "data"
    shutil.rmtree(data, ignore_errors=True)
    write_text_infos(data, [(str(i), c) for i, c in enumerate(captions)], quote_all)
    result = build(data, built)
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(built), read_only=True) as con:
        stored = con.execute("SELECT caption FROM infos_1m_text ORDER BY encord_text_id").fetchall()
    # An unquoted empty field is NULL; a quoted one is the empty string.
    assert [c for (c,) in stored] == [c if c or quote_all else None for c in captions]


@given(ids=st.lists(id_field, min_size=1, max_size=6), captions=st.lists(hostile_text, max_size=6))
def test_hostile_ids_are_refused_in_one_line_and_nothing_is_damaged(built, tmp_path, ids, captions):
    before = sha256(built)
    data = tmp_path / "data"
    shutil.rmtree(data, ignore_errors=True)
    rows = [(i, captions[n] if n < len(captions) else "x") for n, i in enumerate(ids)]
    write_text_infos(data, rows, quote_all=False)
    result = build(data, built)
    assert_clean_failure(result, names="e-mm1_1m/infos/text.csv")
    plain = [i for i in ids if i.isascii() and i.isdigit() and int(i) < 2**31]
    if result.exit_code == 0:
        # Only plain decimal ids, each once, get into the catalog.
        assert plain == ids and len(set(map(int, ids))) == len(ids)
        with duckdb.connect(str(built), read_only=True) as con:
            stored = con.execute("SELECT encord_text_id FROM infos_1m_text").fetchall()
        assert sorted(i for (i,) in stored) == sorted(map(int, ids))
    else:
        assert sha256(built) == before
    assert sorted(p.name for p in built.parent.iterdir()) in (
        ["emm1.duckdb"],
        ["emm1.duckdb", "emm1.duckdb.lock"],
    )


@given(raw=st.lists(st.text(alphabet=st.sampled_from(HOSTILE), max_size=30), max_size=6))
def test_raw_hostile_records_never_end_in_a_traceback(built, tmp_path, raw):
    before = sha256(built)
    path = tmp_path / "data" / "e-mm1_1m" / "infos" / "text.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("encord_text_id,caption\n" + "\n".join(raw) + "\n", encoding="utf-8")
    result = build(tmp_path / "data", built)
    assert_clean_failure(result, names="e-mm1_1m/infos/text.csv")
    if result.exit_code == 1:
        assert sha256(built) == before
    else:
        with duckdb.connect(str(built), read_only=True) as con:
            nulls = con.execute("SELECT count(*) FROM infos_1m_text WHERE encord_text_id IS NULL")
            assert nulls.fetchall() == [(0,)]


# ---------------------------------------------------------------------------------------------
# The sandbox

SECRET = "TOPSECRET-CONTENT"
HIDDEN = "HIDDEN_NAME_OUTSIDE"


def make_arena(top: Path, catalog: Path) -> dict[str, Path]:
    """A private copy of the catalog, a cwd with DuckDB's default `.tmp` folder in it, an
    allowed folder holding a symlink that points outside, and secrets outside. Made anew for
    every example, so one example's damage never hides another's."""
    shutil.rmtree(top, ignore_errors=True)
    home = top / "arena"
    (home / ".tmp").mkdir(parents=True)
    (home / ".tmp" / "spilled.csv").write_text(f"x\n{SECRET}\n")
    outside = top / "outside"
    outside.mkdir()
    (outside / f"{HIDDEN}.csv").write_text(f"x\n{SECRET}\n")
    allowed = home / "allowed"
    allowed.mkdir()
    (allowed / "link").symlink_to(outside)
    (allowed / "mine.csv").write_text("x\n1\n")
    db = home / "emm1.duckdb"
    shutil.copyfile(catalog, db)
    return {"home": home, "db": db, "allowed": allowed, "outside": outside, "tmp": top}


def _paths(arena) -> list[str]:
    db, allowed, outside = arena["db"], arena["allowed"], arena["outside"]
    return [
        str(db),
        f"{db}.wal",
        "emm1.duckdb",
        "./.tmp/spilled.csv",
        ".tmp/x.csv",
        f"{arena['home']}/.tmp",
        f"{outside}/{HIDDEN}.csv",
        f"{outside}/new.csv",
        f"{allowed}/link/*",
        f"{allowed}/*/*",
        f"{allowed}/link/new.csv",
        f"{allowed}/../escaped.csv",
        f"{allowed}/out.csv",
        "/etc/passwd",
        ":memory:",
    ]


STATEMENTS = [
    "ATTACH {p} AS rw",
    "ATTACH {p} AS rw (READ_ONLY)",
    "DETACH emm1",
    "USE memory",
    "USE emm1",
    "COPY (SELECT 1 AS x) TO {p}",
    "COPY (SELECT 1 AS x) TO {p} (FORMAT parquet)",
    "COPY settings TO {p}",
    "EXPORT DATABASE {p}",
    "SELECT * FROM read_text({p})",
    "SELECT * FROM read_csv({p})",
    "SELECT * FROM glob({p})",
    "SELECT count(*) FROM read_blob({p})",
    "SET temp_directory = {p}",
    "SET allowed_directories = [{p}]",
    "SET allowed_paths = [{p}]",
    "SET enable_external_access = true",
    "RESET lock_configuration",
    "SET VARIABLE v = {p}",
    "SET search_path = {p}",
    "PRAGMA enable_external_access",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CREATE TABLE t AS SELECT 1",
    "UPDATE settings SET value = {p} WHERE key = 'asset_root'",
    "INSERT INTO settings VALUES ({p}, {p})",
    "DROP VIEW captions",
    "CREATE OR REPLACE MACRO unsafe_name(n) AS false",
    "CHECKPOINT",
    "VACUUM",
    "SELECT count(*) FROM captions",
]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Known ways in, as steps: hypothesis mixes them with the statements above.
CHAINS = [
    ["USE memory", "DETACH emm1", "ATTACH {db} AS rw", "UPDATE rw.settings SET value = 'x'"],
    ["USE memory", "DETACH emm1", "COPY (SELECT 1 AS x) TO {db}"],
    ["USE memory", "DETACH emm1", "COPY (SELECT 1 AS x) TO {wal}"],
    ["ATTACH ':memory:' AS m", "USE m", "DETACH emm1", "ATTACH {db} AS rw"],
    ["COPY (SELECT 'x' AS x) TO './.tmp/new.csv'", "SELECT * FROM read_text('.tmp/new.csv')"],
    ["SELECT * FROM read_text('.tmp/spilled.csv')"],
    ["SELECT * FROM glob({link})"],
]


@st.composite
def hostile_sql(draw, paths: list[str], known: dict[str, str]) -> str:
    statements = []
    if draw(st.booleans()):
        chain = draw(st.sampled_from(CHAINS))
        statements += [step.format(**{k: _literal(v) for k, v in known.items()}) for step in chain]
    for _ in range(draw(st.integers(min_value=0 if statements else 1, max_value=3))):
        template = draw(st.sampled_from(STATEMENTS))
        text = template.format(p=_literal(draw(st.sampled_from(paths))))
        if draw(st.booleans()):
            text = text.upper() if draw(st.booleans()) else f"/* x */ {text}"
        statements.append(text)
    return "; ".join(statements)


@given(data=st.data(), command=st.sampled_from(["sql", "shell"]), allow=st.booleans())
def test_hostile_sql_cannot_change_the_catalog_or_reach_outside_files(
    catalogs, tmp_path, monkeypatch, data, command, allow
):
    arena = make_arena(tmp_path / "run", catalogs["upstream"])
    monkeypatch.chdir(arena["home"])
    db, allowed = arena["db"], arena["allowed"]
    before_db = sha256(db)
    before_files = {k: v for k, v in tree(arena["tmp"]).items() if not k.startswith(str(allowed))}
    known = {"db": str(db), "wal": f"{db}.wal", "link": f"{allowed}/link/*"}
    query = data.draw(hostile_sql(_paths(arena), known))
    extra = ["--allow-files", str(allowed)] if allow else []
    if command == "sql":
        args = ["sql", query, "--db", str(db), "--format", "csv", *extra]
        result = CliRunner().invoke(main, args)
    else:
        args = ["shell", "--db", str(db), *extra]
        result = CliRunner().invoke(main, args, input=query + ";\n")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback: {result.exception!r}") from result.exception
    assert "Traceback" not in result.stderr
    assert sha256(db) == before_db
    after_files = {k: v for k, v in tree(arena["tmp"]).items() if not k.startswith(str(allowed))}
    assert after_files == before_files, query
    assert SECRET not in result.output, query
    if HIDDEN not in query:
        assert HIDDEN not in result.output, query
