"""`emm1 connect`: the printed settings are exact; the code and URLs in them really connect."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.build import build_catalog
from catalog.cli import main
from catalog.connect import TOOLS, connection_settings
from catalog.errors import CatalogError

NODE_MODULES = Path(__file__).resolve().parents[1] / ".clients" / "node_modules"  # make clients


def connect(*args) -> str:
    result = CliRunner().invoke(main, ["connect", *map(str, args)])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def setting(text: str, name: str) -> str:
    """The value printed for one setting."""
    return re.search(rf"^  {re.escape(name)} +(.+)$", text, re.M)[1]


@pytest.mark.parametrize("tool", list(TOOLS))
def test_every_tool_gets_the_path_the_read_only_flag_and_the_versions(catalogs, tool):
    db = catalogs["upstream"]
    out = connect("--db", db, "--tool", tool)
    assert out.startswith(
        f"catalog        {db}\n"
        "read-only      yes (always open it read-only)\n"
        "opens in       DuckDB 1.1.0 and later (storage format v1.1.0)\n"
        f"\n{TOOLS[tool][0]}\n"
    )
    assert str(db) in out.split("\n\n")[1]
    assert setting(out, "read-only").startswith("yes: ")


def test_without_a_tool_it_lists_the_tools(catalogs, tmp_path, monkeypatch):
    shutil.copyfile(catalogs["legacy"], tmp_path / "mine.duckdb")
    monkeypatch.chdir(tmp_path)
    out = connect("--db", "mine.duckdb")  # a relative path is printed absolute
    assert out.startswith(f"catalog        {tmp_path / 'mine.duckdb'}\n")
    assert "  duckdb-cli  DuckDB command line\n" in out
    assert out.endswith("reconnect (or refresh the connection) to see the new catalog.\n")


def test_versions_follow_the_storage_format(samples, tmp_path):
    db = tmp_path / "latest.duckdb"
    build_catalog(samples["upstream"], db, storage_version="latest")
    import duckdb

    assert (
        f"opens in       DuckDB {duckdb.__version__} and later only (storage format latest)\n"
        in connection_settings(db)
    )
    with pytest.raises(CatalogError, match=r"unknown tool 'excel'\. Tools: superset, "):
        connection_settings(db, "excel")


def test_the_python_code_and_sqlalchemy_url_connect(catalogs):
    db = catalogs["upstream"]
    out = connect("--db", db, "--tool", "python")
    code = setting(out, "code") + "\nprint(con.execute('SELECT count(*) FROM captions').fetchall())"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().startswith("[(") and ran.stdout.strip() != "[(0,)]"

    sqlalchemy = pytest.importorskip("sqlalchemy")
    superset = connect("--db", db, "--tool", "superset")
    params = json.loads(setting(superset, "engine parameters").split(" (")[0])
    engine = sqlalchemy.create_engine(setting(superset, "SQLAlchemy URI"), **params)
    try:
        with engine.connect() as con:
            assert con.execute(sqlalchemy.text("SELECT count(*) FROM triplets_labeled")).scalar()
            with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
                con.execute(sqlalchemy.text("DELETE FROM settings"))
    finally:
        engine.dispose()


def test_the_node_code_connects(catalogs, tmp_path):
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "@duckdb" / "node-api").is_dir():
        pytest.skip(f"the Node client is not installed in {NODE_MODULES}: run `make clients`")
    db = catalogs["upstream"]
    code = setting(connect("--db", db, "--tool", "node"), "code")
    script = tmp_path / "connect.cjs"
    script.write_text(
        "(async () => {\n"
        f"{code}\n"
        "const con = await instance.connect();\n"
        "const rows = (await con.runAndReadAll('SELECT count(*)::INTEGER FROM captions'))"
        ".getRows();\n"
        "console.log(rows[0][0]);\n"
        "})().catch((e) => { console.error(e.message); process.exit(1); });\n"
    )
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    ran = subprocess.run([node, str(script)], capture_output=True, text=True, env=env)
    assert ran.returncode == 0, ran.stderr
    assert int(ran.stdout) > 0


def test_the_command_offers_every_tool_the_library_knows():
    option = next(p for p in main.commands["connect"].params if p.name == "tool")
    assert list(option.type.choices) == list(TOOLS)


def test_superset_gets_the_sqlalchemy_that_works_and_the_known_limits(catalogs):
    """duckdb-engine 0.17 reflects columns only with SQLAlchemy 2.0: the printed install line
    pins both, and is the set these tests run with (pyproject.toml)."""
    from importlib.metadata import version

    from packaging.requirements import Requirement

    out = connect("--db", catalogs["upstream"], "--tool", "superset")
    install = setting(out, "install")
    assert install.startswith('pip install "duckdb-engine==0.17.*" "sqlalchemy>=2.0,<2.1" ')
    pins = [Requirement(r) for r in re.findall(r'"([^"]+)"', install)]
    assert {r.name for r in pins} == {"duckdb-engine", "sqlalchemy", "duckdb"}
    for requirement in pins:
        assert version(requirement.name) in requirement.specifier, requirement
    limits = setting(out, "known limits")
    assert "SQL Lab and datasets work" in limits
    assert "pandas.read_sql_table fails" in limits and "pandas.read_sql_query" in limits
    python = setting(connect("--db", catalogs["upstream"], "--tool", "python"), "SQLAlchemy URI")
    assert python.endswith('(pip install "duckdb-engine==0.17.*" "sqlalchemy>=2.0,<2.1")')
