"""Other clients open the catalog: DuckDB 1.1 (what older BI drivers embed), the SQLAlchemy
dialect behind Superset and friends, and the Node client behind JavaScript dashboards.

Each client runs the same queries as this project's own DuckDB and must return the same rows.
`make clients` installs the clients into .clients/ (the Node one only where npm exists).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from catalog.build import build_catalog
from catalog.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / ".clients"
DUCKDB11_PYTHON = CLIENTS / "duckdb11-venv" / "bin" / "python"
NODE_MODULES = CLIENTS / "node_modules"
PROBE = Path(__file__).parent / "clients"

QUERIES = {
    "groups": "SELECT count(*), count(DISTINCT encord_text_id), count(image_file_path), "
    "count(points_file_path), min(caption), max(audio_file_path) FROM nn_groups_resolved",
    "group_rows": "SELECT * FROM nn_groups_resolved ORDER BY encord_text_id, nn_index LIMIT 40",
    "triplets": "SELECT count(*), count(annotated_modality_file_path), "
    "count(DISTINCT annotation_label) FROM triplets_labeled",
    "triplet_rows": "SELECT * FROM triplets_labeled ORDER BY ALL LIMIT 40",
    "paths": "SELECT * FROM path_settings",
    # parameter order in duckdb_functions() differs between DuckDB versions: compare sorted
    "table_macros": "SELECT function_name, list_sort(parameters) FROM duckdb_functions() "
    "WHERE function_type = 'table_macro' AND NOT internal ORDER BY function_name",
}


@pytest.fixture(scope="module")
def fresh(samples, tmp_path_factory) -> Path:
    """A catalog as `emm1 build` writes it by default."""
    db = tmp_path_factory.mktemp("clients") / "fresh.duckdb"
    build_catalog(samples["upstream"], db, asset_root="/assets")
    return db


@pytest.fixture(scope="module")
def reconfigured(fresh) -> Path:
    """The same catalog after `emm1 config set`, which rewrites it with this DuckDB."""
    db = fresh.with_name("reconfigured.duckdb")
    shutil.copyfile(fresh, db)
    result = CliRunner().invoke(main, ["config", "set", "asset_root", "/mnt/emm1", "--db", db])
    assert result.exit_code == 0, result.stderr
    return db


def queries(db: Path) -> dict[str, str]:
    """QUERIES, plus a call of the first table macro in the catalog, if it has any."""
    call = first_macro_call(db)
    return (
        {**QUERIES, "macro_call": f"SELECT * FROM {call} ORDER BY ALL LIMIT 40"}
        if call
        else QUERIES
    )


def first_macro_call(db: Path) -> str | None:
    """A call of the first persisted table macro that runs without chosen arguments: with its
    defaults, or with NULL for every parameter."""
    with duckdb.connect(str(db), read_only=True) as con:
        macros = con.execute(QUERIES["table_macros"]).fetchall()
        for name, params in macros:
            for call in (f"{name}()", f"{name}({', '.join(['NULL'] * len(params))})"):
                try:
                    con.execute(f"SELECT * FROM {call} LIMIT 0").fetchall()
                    return call
                except duckdb.Error:
                    continue
    return None


def probe(command: list[str], db: Path, env: dict | None = None) -> dict:
    request = json.dumps({"db": str(db), "queries": {"version": "SELECT version()", **queries(db)}})
    done = subprocess.run(
        command, input=request, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def reference(db: Path) -> dict:
    """The answers of this project's own DuckDB, through the same probe."""
    return probe([sys.executable, str(PROBE / "probe.py")], db)


def assert_same_answers(answers: dict, expected: dict) -> None:
    for name in expected:
        assert "error" not in answers[name], f"{name}: {answers[name]}"
        if name != "version":
            assert answers[name] == expected[name], name
    groups = answers["groups"]["rows"][0]
    assert int(groups[0]) > 0 and int(groups[2]) > 0  # the views resolve rows and paths
    assert int(answers["triplets"]["rows"][0][0]) > 0


@pytest.mark.parametrize("which", ["fresh", "reconfigured"])
def test_duckdb_1_1_opens_and_queries_the_catalog(which, request):
    if not DUCKDB11_PYTHON.exists():
        pytest.skip(f"DuckDB 1.1 client not installed at {DUCKDB11_PYTHON}: run `make clients`")
    db = request.getfixturevalue(which)
    answers = probe([str(DUCKDB11_PYTHON), str(PROBE / "probe.py")], db)
    assert answers["version"]["rows"][0][0].startswith("v1.1.")
    assert_same_answers(answers, reference(db))
    root = "/mnt/emm1" if which == "reconfigured" else "/assets"
    assert answers["paths"]["rows"][0][0] == root


@pytest.mark.parametrize("which", ["fresh", "reconfigured"])
def test_node_client_opens_and_queries_the_catalog(which, request):
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "@duckdb" / "node-api").is_dir():
        pytest.skip(
            "the Node client needs node and npm: `make clients` installs @duckdb/node-api "
            f"into {NODE_MODULES} when npm is on PATH "
            f"(node: {node or 'absent'}, npm: {shutil.which('npm') or 'absent'})"
        )
    db = request.getfixturevalue(which)
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    answers = probe([node, str(PROBE / "probe.cjs")], db, env=env)
    assert answers["version"]["rows"][0][0].startswith("v1.")
    assert_same_answers(answers, reference(db))


def test_sqlalchemy_dialect_lists_and_queries_the_catalog(fresh):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    with duckdb.connect(str(fresh), read_only=True) as con:
        tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
        views = dict(
            con.execute(
                "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        )
        columns = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE table_name IN ('nn_groups_resolved', 'triplets_labeled', 'nn_groups') "
            "ORDER BY table_name, column_index"
        ).fetchall()
        count = con.execute("SELECT count(*) FROM triplets_labeled").fetchall()[0][0]
    call = first_macro_call(fresh)
    if call:
        with duckdb.connect(str(fresh), read_only=True) as con:
            macro_rows = sorted(
                map(tuple, con.execute(f"SELECT * FROM {call}").fetchall()), key=repr
            )

    engine = sqlalchemy.create_engine(f"duckdb:///{fresh}", connect_args={"read_only": True})
    try:
        inspector = sqlalchemy.inspect(engine)
        assert set(inspector.get_table_names()) == set(tables)
        assert set(inspector.get_view_names()) == set(views)
        assert {"nn_groups_resolved", "triplets_labeled"} <= set(views)
        reflected = [
            (name, column["name"], column["comment"])
            for name in ("nn_groups", "nn_groups_resolved", "triplets_labeled")
            for column in inspector.get_columns(name)
        ]
        assert sorted(reflected) == sorted(columns)
        assert all(comment for _, _, comment in reflected)
        for name in ("nn_groups", "nn_groups_resolved", "triplets_labeled"):
            assert inspector.get_table_comment(name)["text"] == {**tables, **views}[name]
        with engine.connect() as con:
            text = sqlalchemy.text
            assert con.execute(text("SELECT count(*) FROM triplets_labeled")).scalar() == count
            rows = con.execute(
                text("SELECT caption, image_file_path FROM nn_groups_resolved WHERE nn_index = 1")
            ).all()
            assert rows and all(path.startswith("/assets/") for _, path in rows if path)
            if call:
                got = con.execute(text(f"SELECT * FROM {call}")).all()
                assert sorted(map(tuple, got), key=repr) == macro_rows
    finally:
        engine.dispose()
