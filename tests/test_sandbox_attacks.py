"""SQL from others, tried as an attacker would, through the real `emm1 sql`, `emm1 shell`,
`emm1 export --where`, `emm1 query` and the Python API: every attempt ends in a one-line
`Error: ...`, and afterwards the catalog has the same bytes and no file anywhere has changed."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import catalog
from catalog import CatalogError

README = Path(__file__).parent.parent / "README.md"
REFUSED = re.compile(r"^Error: (['\"]).*\1 is refused \(statement \d+ of \d+\), so nothing ran\. ")
DUCKDB_TEMP = "Error: the query failed: Permission Error: Cannot access file"


@pytest.fixture
def site(catalogs, tmp_path, monkeypatch):
    """A team's working folder: the catalog in it as emm1.duckdb, a `.tmp` folder (DuckDB's
    default place to spill) holding a file, an empty home and temp folder for the processes.
    Every process runs in `site.cwd`; `site.unchanged()` checks the catalog's bytes and every
    file and folder under tmp_path (sizes and modification times) against the start."""
    cwd = tmp_path / "work"
    (cwd / ".tmp").mkdir(parents=True)
    (cwd / ".tmp" / "secret.txt").write_text("spilled\n")
    db = cwd / "emm1.duckdb"
    shutil.copyfile(catalogs["upstream"], db)
    for name in ("home", "tmpdir", "elsewhere", "exports"):
        (tmp_path / name).mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_text("outside\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmpdir"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    return Site(tmp_path, cwd, db)


class Site:
    def __init__(self, root: Path, cwd: Path, db: Path):
        self.root, self.cwd, self.db = root, cwd, db
        self.sha = sha256(db)
        self.before = tree(root)

    def unchanged(self, work_folder: Path | None = None) -> bool:
        """True, or an assertion error; `work_folder` may have had files made and removed."""
        assert sha256(self.db) == self.sha, "the catalog was changed"
        now, before = tree(self.root), dict(self.before)
        if work_folder is not None:
            now[str(work_folder)] = before[str(work_folder)] = (0, 0)
        assert now == before, "files were written"
        return True

    def run(self, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "catalog.cli", *map(str, args)],
            cwd=self.cwd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def sql(self, query: str, *extra) -> subprocess.CompletedProcess:
        return self.run("sql", query, "--db", self.db, "--format", "csv", *extra)

    def shell(self, script: str, *extra) -> subprocess.CompletedProcess:
        return self.run("shell", "--db", self.db, *extra, stdin=script)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file, folder and link below root (links not followed): size and mtime."""
    found = {}
    for parent, dirs, files in os.walk(root):
        for name in [".", *dirs, *files]:
            path = os.path.join(parent, name)
            st = os.lstat(path)
            found[os.path.normpath(path)] = (st.st_size, st.st_mtime_ns)
    return found


def one_error(done: subprocess.CompletedProcess, start: str | re.Pattern = "Error: ") -> str:
    """The single stderr line of a failed command, checked against `start`."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    if isinstance(start, str):
        assert done.stderr.startswith(start), done.stderr
    else:
        assert start.match(done.stderr), done.stderr
    return done.stderr


def shell_errors(done: subprocess.CompletedProcess, count: int) -> list[str]:
    """From a script: exit 1, `count` one-line errors, no traceback."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    errors = done.stderr.splitlines()
    assert len(errors) == count and all(e.startswith("Error: ") for e in errors), done.stderr
    return errors


# Case 1: the catalog cannot be detached, re-attached read-write or overwritten.
REWRITES = [
    "USE memory; DETACH emm1; ATTACH '{db}' AS rw; "
    "UPDATE rw.settings SET value = 'pwned' WHERE key = 'asset_root'",
    "USE memory; DETACH emm1; ATTACH '{db}' AS rw; "
    "CREATE OR REPLACE MACRO rw.unsafe_name(name) AS false",
    "ATTACH '{db}' AS rw",
    "USE memory; DETACH emm1; COPY (SELECT 1 AS x) TO '{db}'",
]
OVERWRITES = [
    "COPY (SELECT 1 AS x) TO '{db}'",
    "COPY (SELECT 1 AS x) TO '{db}.wal'",
    "COPY (SELECT 1 AS x) TO 'emm1.duckdb' (FORMAT csv, USE_TMP_FILE false)",
]


@pytest.mark.parametrize(
    "attack,allow",
    [(attack, False) for attack in REWRITES]
    + [(attack, True) for attack in REWRITES[:1] + OVERWRITES],
)
def test_sql_cannot_reattach_or_overwrite_the_catalog(site, attack, allow):
    extra = ["--allow-files", "."] if allow else []  # the folder holding the catalog
    done = site.sql(attack.format(db=site.db), *extra)
    if attack in REWRITES:
        one_error(done, REFUSED)
    else:  # DuckDB's own check, on the real file behind any path or link
        error = one_error(done, "Error: the query failed: Binder Error: Cannot COPY to ")
        assert "the file belongs to an attached database" in error
    assert site.unchanged()


def test_shell_refuses_every_rewrite_and_overwrite_one_line_each(site):
    script = "".join(attack.format(db=site.db) + ";\n" for attack in REWRITES + OVERWRITES)
    done = site.shell(script + "SELECT count(*) AS n FROM settings;\n", "--allow-files", ".")
    errors = shell_errors(done, len(REWRITES + OVERWRITES))
    assert all(REFUSED.match(e) for e in errors[: len(REWRITES)])
    assert all("belongs to an attached database" in e for e in errors[len(REWRITES) :])
    assert "5" in done.stdout  # the session went on, on the same catalog
    assert site.unchanged()


# Case 2: DuckDB's default spill folder, ./.tmp, is not reachable (nor where it links to).
TMP_ATTACKS = [
    "SELECT content FROM read_text('{tmp}/secret.txt')",
    "SELECT * FROM glob('{tmp}/*')",
    "COPY (SELECT 1 AS x) TO '{tmp}/written.csv'",
    "SELECT * FROM read_csv('{tmp}/secret.txt')",
]


def tmp_as(site, kind: str) -> None:
    """Make the working folder's `.tmp` a folder or a link to a folder elsewhere."""
    if kind != "folder":
        shutil.rmtree(site.cwd / ".tmp")
        (site.cwd / ".tmp").symlink_to(site.root / "elsewhere")
        site.before = tree(site.root)


@pytest.mark.parametrize("kind", ["folder", "link"])
@pytest.mark.parametrize("attack,tmp", [(TMP_ATTACKS[0], "absolute"), (TMP_ATTACKS[2], ".tmp")])
def test_sql_cannot_reach_the_working_folders_tmp(site, kind, attack, tmp):
    tmp_as(site, kind)
    tmp = site.cwd / ".tmp" if tmp == "absolute" else tmp
    one_error(site.sql(attack.format(tmp=tmp)), DUCKDB_TEMP)
    assert site.unchanged()


@pytest.mark.parametrize("kind", ["folder", "link"])
def test_shell_cannot_reach_the_working_folders_tmp(site, kind):
    tmp_as(site, kind)
    attacks = [*TMP_ATTACKS, "ATTACH '{tmp}/x.duckdb' AS x", "EXPORT DATABASE '{tmp}/dump'"]
    script = "".join(a.format(tmp=".tmp") + ";\n" for a in attacks)
    errors = shell_errors(site.shell(script), len(attacks))
    assert all(e.startswith(DUCKDB_TEMP) for e in errors[: len(TMP_ATTACKS)])
    assert all(REFUSED.match(e) for e in errors[len(TMP_ATTACKS) :])
    assert site.unchanged()


def test_sql_never_spills_to_disk(site, monkeypatch):
    """With nowhere to spill, a query beyond the memory limit fails with a hint; before, it
    spilled into ./.tmp, which queries could read and write."""
    from catalog.db import connect_hardened

    monkeypatch.chdir(site.cwd)
    with connect_hardened(site.db, settings={"memory_limit": "64MB", "threads": 1}) as con:
        assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [("",)]
        assert con.execute("SELECT current_setting('allowed_directories')").fetchall() == [([],)]
        big_sort = "SELECT md5(range::VARCHAR) AS m FROM range(5000000) ORDER BY m"
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute(f"SELECT count(*) FROM ({big_sort})").fetchall()
    assert site.unchanged()


# Case 3: only queries run. Each statement the README lists as refused, with an example.
REFUSED_EXAMPLES = {
    "ATTACH": "ATTACH ':memory:' AS scratch",
    "DETACH": "DETACH emm1",
    "USE": "USE memory",
    "SET": "SET search_path = 'memory'",
    "SET schema": "SET schema = 'main'",
    "SET VARIABLE": "SET VARIABLE x = 1",
    "RESET": "RESET search_path",
    "CREATE": "CREATE TEMP TABLE t AS SELECT 1",
    "INSERT": "INSERT INTO settings VALUES ('k', 'v')",
    "UPDATE": "UPDATE settings SET value = 'x'",
    "DELETE": "DELETE FROM settings",
    "DROP": "DROP VIEW assets",
    "ALTER": "ALTER VIEW assets RENAME TO a",
    "PRAGMA": "PRAGMA show_tables",
    "IMPORT DATABASE": "IMPORT DATABASE 'dump'",
    "EXPORT DATABASE": "EXPORT DATABASE 'dump'",
    "COPY FROM DATABASE": "COPY FROM DATABASE emm1 TO memory",
    "CALL": "CALL duckdb_settings()",
    "CHECKPOINT": "CHECKPOINT",
    "LOAD": "LOAD json",
    "INSTALL": "INSTALL json",
    "BEGIN": "BEGIN",
    "PREPARE": "PREPARE p AS SELECT 1",
    "VACUUM": "VACUUM",
    "PIVOT": "PIVOT settings ON key USING first(value)",
    "EXPLAIN": "EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1",
}
ALLOWED_EXAMPLES = {
    "SELECT": "SELECT count(*) FROM nn_groups",
    "WITH": "WITH s AS (SELECT * FROM settings) SELECT count(*) FROM s",
    "FROM": "FROM settings SELECT key",
    "VALUES": "VALUES (1, 'a')",
    "DESCRIBE": "DESCRIBE captions",
    "SHOW": "SHOW TABLES",
    "SUMMARIZE": "SUMMARIZE settings",
    "PIVOT ... IN (...)": "PIVOT settings ON key IN ('asset_root') USING first(value)",
    "EXPLAIN": "EXPLAIN SELECT count(*) FROM assets",
    "EXPLAIN ANALYZE": "EXPLAIN ANALYZE SELECT count(*) FROM assets",
    "COPY ... TO": "COPY (SELECT key FROM settings) TO 'out/keys.csv'",
}


def readme_sandbox_lists() -> tuple[list[str], list[str]]:
    """The statements `### emm1 sql` in README.md says are refused and allowed."""
    section = README.read_text().split("### emm1 sql\n")[1].split("\n### ")[0]
    refused = re.search(r"^Refused[^:]*:(.*?)\n\n", section, re.M | re.S)[1]
    allowed = re.search(r"^Allowed[^:]*:(.*?)\n\n", section, re.M | re.S)[1]
    return re.findall(r"`([^`]+)`", refused), re.findall(r"`([^`]+)`", allowed)


def test_readme_lists_what_is_refused_and_allowed_as_tested_here():
    refused, allowed = readme_sandbox_lists()
    assert sorted(refused) == sorted(REFUSED_EXAMPLES)
    assert sorted(allowed) == sorted(ALLOWED_EXAMPLES)


@pytest.mark.parametrize("kind", ["ATTACH", "SET", "SET schema", "SET VARIABLE", "USE"])
def test_sql_refuses_attach_and_every_set(site, kind):
    assert one_error(site.sql(REFUSED_EXAMPLES[kind]), REFUSED)
    assert site.unchanged()


def test_shell_refuses_every_statement_the_readme_lists(site):
    script = "".join(f"{sql};\n" for sql in REFUSED_EXAMPLES.values())
    done = site.shell(".format csv\n" + script + "SELECT getvariable('x') IS NULL AS unset;\n")
    errors = shell_errors(done, len(REFUSED_EXAMPLES))
    assert all(REFUSED.match(e) for e in errors)
    assert done.stdout.replace('"', "") == "unset\ntrue\n"  # SET VARIABLE did not run
    assert site.unchanged()


def test_sql_refuses_a_whole_script_when_one_statement_is_refused(site):
    (site.cwd / "out").mkdir()
    site.before = tree(site.root)
    done = site.sql("COPY (SELECT 1 AS x) TO 'out/first.csv'; DETACH emm1", "--allow-files", ".")
    assert "(statement 2 of 2), so nothing ran" in one_error(done, REFUSED)
    assert site.unchanged()  # the COPY before it did not run either


def test_everything_the_readme_allows_runs(site):
    (site.cwd / "out").mkdir()
    script = "".join(f"{sql};\n" for sql in ALLOWED_EXAMPLES.values())
    done = site.shell(".format csv\n" + script, "--allow-files", "out")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (site.cwd / "out" / "keys.csv").read_text().splitlines()[0] == "key"
    assert sha256(site.db) == site.sha


# Case 4: names behind a link out of an allowed folder stay hidden.
def test_a_folder_with_a_link_leading_out_cannot_be_allowed(site):
    allowed = site.cwd / "allowed"
    (allowed / "real").mkdir(parents=True)
    (allowed / "real" / "mine.csv").write_text("x\n1\n")
    (allowed / "link").symlink_to(site.root / "elsewhere")
    site.before = tree(site.root)
    glob = "SELECT * FROM glob('allowed/*/*')"
    error = one_error(site.sql(glob, "--allow-files", "allowed"))
    assert error == (
        f"Error: {allowed} cannot be allowed: {allowed / 'link'} is a symbolic link to "
        f"{site.root / 'elsewhere'}, outside it, so a query could list the files there. Allow a "
        "folder without such links, or remove the link.\n"
    )
    assert one_error(site.shell(f"{glob};\n", "--allow-files", "allowed")) == error
    assert site.unchanged()


def test_links_that_stay_inside_an_allowed_folder_are_fine(site):
    allowed = site.cwd / "allowed"
    (allowed / "real").mkdir(parents=True)
    (allowed / "real" / "mine.csv").write_text("x\n1\n")
    (allowed / "again").symlink_to(allowed / "real")
    (allowed / "secret.txt").symlink_to(site.root / "elsewhere" / "secret.txt")  # a file
    site.before = tree(site.root)
    listed = site.sql("SELECT file FROM glob('allowed/*/*') ORDER BY 1", "--allow-files", "allowed")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.replace('"', "").split() == [
        "file",
        "allowed/again/mine.csv",
        "allowed/real/mine.csv",
    ]
    through_link = site.sql(
        "SELECT content FROM read_text('allowed/secret.txt')", "--allow-files", "allowed"
    )
    one_error(through_link, "Error: the query failed: Permission Error: Cannot access file")
    assert site.unchanged()


# Case 6: any file name works, DuckDB's own database names included.
@pytest.mark.parametrize(
    "name", ["memory", "temp", "system", "main", "MEMORY", 'it\'s "quoted"', "café ñ", "a b"]
)
def test_any_catalog_file_name_works(site, name):
    db = site.cwd / f"{name}.duckdb"
    shutil.copyfile(site.db, db)
    done = site.run("sql", "SELECT count(*) AS n FROM nn_groups", "--db", db, "--format", "csv")
    assert (done.returncode, done.stdout.replace('"', ""), done.stderr) == (0, "n\n4800\n", "")
    if name == "memory":  # the shell opens the catalog the same way
        piped = site.run("shell", "--db", db, stdin="SELECT count(*) AS n FROM assets;\n")
        assert piped.returncode == 0 and piped.stderr == "", piped.stderr


# Also: export --where, emm1 query and the Python API.
@pytest.mark.parametrize(
    "where,error",
    [
        (
            "true; COPY (SELECT 1) TO '{root}/x.csv'",
            "Error: --where {where!r} is not a valid filter: Parser Error: ",
        ),
        (
            "true) TO '{root}/x.csv' (FORMAT csv); COPY (SELECT 1",
            "Error: --where {where!r} is not a valid filter: Parser Error: ",
        ),
        (
            "(SELECT count(*) FROM read_text('/etc/passwd')) > 0",
            "Error: --where {where!r} is not a valid filter: Permission Error: ",
        ),
        (
            "(SELECT count(*) FROM read_text('{root}/work/.tmp/secret.txt')) > 0",
            "Error: --where {where!r} is not a valid filter: Permission Error: ",
        ),
        (
            "(SELECT count(*) FROM enable_logging(storage := 'file', "
            "storage_path := '{root}/logs')) >= 0",
            "Error: --where {where!r} is not a valid filter: Invalid Input Error: Cannot change",
        ),
    ],
)
def test_export_where_is_one_expression_that_reaches_no_file(site, where, error):
    where = where.format(root=site.root)
    out = site.root / "exports" / "slice"  # the export works in a folder beside it, then removes it
    done = site.run(
        "export", "--view", "assets", "--where", where, "--db", site.db, "--out", out, "-q"
    )
    one_error(done, error.format(where=where))
    assert site.unchanged(work_folder=out.parent)


def test_query_values_are_bound_never_run(site):
    hostile = "x'); DETACH emm1; ATTACH '{db}' AS rw; UPDATE rw.settings SET value = 'p'; --"
    done = site.run(
        "query",
        "caption_search",
        "-p",
        "text",
        hostile.format(db=site.db),
        "--db",
        site.db,
        "--format",
        "csv",
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[1:] == []  # a header, no caption holds that text
    assert site.unchanged()


@pytest.mark.parametrize(
    "where,error",
    [
        ("true; DROP VIEW assets", "Parser Error"),
        ("(SELECT count(*) FROM read_text('/etc/passwd')) > 0", "Permission Error"),
        (
            "(SELECT count(*) FROM enable_logging(storage := 'file', "
            "storage_path := '{root}/logs')) >= 0",
            "the configuration has been locked",
        ),
        (
            "(SELECT count(*) FROM enable_profiling(format := 'json', "
            "save_location := '{root}/profile.json')) >= 0",
            "the configuration has been locked",
        ),
    ],
)
def test_python_view_where_runs_no_statement_and_writes_no_file(site, where, error):
    with catalog.open_catalog(site.db) as cat:
        with pytest.raises(CatalogError, match=error):
            cat.view("assets", where=where.format(root=site.root)).fetchall()
        # Filters over the catalog, subqueries included, work as before.
        good = cat.view("assets", where="asset_id IN (SELECT 1) AND modality = 'image'")
        assert {row[1] for row in good.fetchall()} == {"image"}
    assert site.unchanged()
