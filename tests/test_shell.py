"""`emm1 shell`, driven as a user drives it: a script on stdin, and keys typed at a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import expected
import pytest

from catalog.shell import history_file
from catalog.templates import templates


def shell(db, script: str, *extra, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "catalog.cli", "shell", "--db", str(db), *map(str, extra)],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_statements_span_lines_and_run_at_the_semicolon(catalogs):
    done = shell(
        catalogs["upstream"],
        ".format csv\n"
        "SELECT count(*) AS n\n"
        "  FROM nn_groups_resolved\n"
        "  WHERE nn_index = 1;\n"
        "SELECT 'a;b' AS s; SELECT 2 AS two;\n"
        "\n"
        "SELECT 3 AS last\n",  # the last statement may lack its ;
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.replace('"', "") == "n\n300\ns\na;b\ntwo\n2\nlast\n3\n"
    assert done.stderr == ""


def test_results_print_as_tables(catalogs):
    done = shell(
        catalogs["legacy"], "SELECT nn_index, count(*) AS n FROM nn_groups GROUP BY 1 ORDER BY 1;"
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("┌") and "nn_index" in lines[1] and "n" in lines[1]
    assert "│        1 │   300 │" in done.stdout
    assert "16 rows" in done.stdout


def test_tables_and_schema_helpers(catalogs):
    done = shell(catalogs["upstream"], ".format csv\n.tables\n.schema triplets_labeled\n")
    assert done.returncode == 0, done.stderr
    tables = done.stdout.split("view triplets_labeled: ")[0].replace('"', "").splitlines()
    assert tables[0] == "name,kind,comment"
    names = [line.split(",")[:2] for line in tables[1:]]
    kinds = [kind for _, kind in names]
    assert kinds == sorted(kinds, key=lambda k: k == "table"), "views are listed first"
    views = [name for name, kind in names if kind == "view"]
    assert views == sorted(views)
    assert {
        "assets",
        "captions",
        "eshot_samples",
        "nn_groups_resolved",
        "path_settings",
        "triplets_labeled",
    } <= set(views)
    assert ["nn_groups", "table"] in names and ["settings", "table"] in names
    schema = done.stdout.split("view triplets_labeled: ")[1].replace('"', "").splitlines()
    assert schema[0].startswith("E-MM1:1M: one row per triplets.csv row")
    assert schema[1] == "column,type,comment"
    assert [line.split(",")[0] for line in schema[2:]] == expected.TRIPLET_COLUMNS


def test_templates_helper_lists_each_template_as_a_table_macro(catalogs):
    done = shell(catalogs["upstream"], ".templates\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.partition("(")[0] for line in lines] == sorted(templates())
    assert (
        "modality_pair(modality_1, modality_2, [direction, label, present_only, exclude_eshot, "
        "drop_duplicates, drop_null_paths, order_by]): Triplets of one modality pair"
    ) in lines
    assert "counts_by_k([k_min, k_max]): Counts per k" in lines


def test_it_is_read_only_and_hardened(catalogs, tmp_path):
    done = shell(
        catalogs["upstream"],
        "DELETE FROM settings;\n"
        "SELECT * FROM read_csv('/etc/passwd');\n"
        f"COPY (SELECT 1) TO '{tmp_path}/x.csv';\n"
        f"ATTACH '{tmp_path}/y.duckdb';\n"
        "SET enable_external_access = true;\n"
        ".schema nope\n"
        ".format xml\n"
        ".bogus\n"
        "SELECT value FROM settings WHERE key = 'asset_root';\n",
    )
    assert done.returncode == 1  # from a pipe, a failure is the script's exit code
    errors = done.stderr.splitlines()
    assert len(errors) == 8
    assert errors[0].startswith("Error: 'DELETE FROM settings' is refused")
    assert all("Permission Error: Cannot access file" in e for e in errors[1:3])
    assert errors[3].startswith('Error: "ATTACH ') and "is refused" in errors[3]
    assert errors[4].startswith("Error: 'SET enable_external_access = true' is refused")
    assert errors[5:] == [
        "Error: no table, view or macro named 'nope'. .tables lists the tables and views, "
        ".templates the table macros.",
        "Error: .format takes one of: table, line, csv, json.",
        "Error: unknown helper '.bogus'. .help lists them.",
    ]
    assert "/assets" in done.stdout  # later statements still ran
    assert list(tmp_path.iterdir()) == []


def test_allow_files_opens_one_folder(catalogs, tmp_path):
    done = shell(
        catalogs["upstream"],
        f"COPY (SELECT 7 AS x) TO '{tmp_path}/x.csv';\n"
        f".format csv\nSELECT * FROM read_csv('{tmp_path}/x.csv');\n",
        "--allow-files",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.replace('"', "").endswith("x\n7\n")


def test_quit_stops_reading(catalogs):
    done = shell(catalogs["upstream"], ".format csv\nSELECT 1 AS a;\n.quit\nSELECT 2 AS b;\n")
    assert done.stdout.replace('"', "") == "a\n1\n"


@pytest.mark.parametrize("state", ["xdg", "home"])
def test_at_a_terminal_it_prompts_and_keeps_history(catalogs, tmp_path, monkeypatch, state):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    if state == "xdg":
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    (tmp_path / "home").mkdir()
    history = history_file()
    assert history == (
        tmp_path / "state" / "emm1" / "history"
        if state == "xdg"
        else tmp_path / "home" / ".emm1_history"
    )
    env = {**os.environ, "TERM": "dumb", "COLUMNS": "120"}
    command = [sys.executable, "-m", "catalog.cli", "shell", "--db", str(catalogs["upstream"])]

    screen = type_at_terminal(command, ["SELECT 40 + 2", "  AS answer;", ".quit"], env)
    assert "emm1 shell on " in screen and "(read-only)" in screen
    assert "emm1> SELECT 40 + 2" in screen and "  ..>   AS answer;" in screen
    assert "answer" in screen and "42" in screen
    assert history.read_text().splitlines() == ["SELECT 40 + 2", "  AS answer;", ".quit"]

    screen = type_at_terminal(command, ["SELECT 1;", ".quit"], env)  # the history grows
    assert history.read_text().splitlines() == [
        "SELECT 40 + 2",
        "  AS answer;",
        ".quit",
        "SELECT 1;",
        ".quit",
    ]


# A query that would run for hours: 10^13 comparisons, with little memory.
LONG_QUERY = "SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range <> b.range"
STOPPED = "Error: interrupted (Ctrl-C): the query was stopped."


@pytest.fixture
def workdir(catalogs, tmp_path):
    """A working folder holding a copy of the catalog and DuckDB's default spill folder `.tmp`;
    after the test, the catalog has the same bytes and no file there has changed."""
    work = tmp_path / "work"
    (work / ".tmp").mkdir(parents=True)
    db = work / "emm1.duckdb"
    db.write_bytes(catalogs["upstream"].read_bytes())
    before = db.read_bytes(), files_below(work)
    yield work
    assert db.read_bytes() == before[0] and files_below(work) == before[1]


def files_below(root: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.lstat().st_size, p.lstat().st_mtime_ns) for p in [root, *root.rglob("*")]}


def test_ctrl_c_stops_a_running_query_and_returns_to_the_prompt(workdir):
    env = {**os.environ, "TERM": "dumb", "XDG_STATE_HOME": str(workdir.parent / "state")}
    command = [sys.executable, "-m", "catalog.cli", "shell", "--db", "emm1.duckdb"]
    with Terminal(command, env, cwd=workdir) as term:
        term.wait_for_prompt()
        term.type(LONG_QUERY + ";")
        term.wait_busy(1.0)  # DuckDB is on it; Ctrl-C earlier would be handled the same way
        term.key(b"\x03")
        term.wait_for_prompt()  # within seconds, not hours
        term.type("SELECT 40 + 2 AS answer;")
        term.wait_for_prompt()
        term.type(".quit")
        assert term.wait_for_exit() == 0
    after_query = term.screen.split(LONG_QUERY[-20:])[-1]
    assert after_query.splitlines()[1:3] == ["^C" + STOPPED, "emm1> SELECT 40 + 2 AS answer;"]
    assert "│     42 │" in after_query and "Traceback" not in term.screen


def test_ctrl_c_stops_emm1_sql_with_one_line_and_exit_130(workdir):
    command = [sys.executable, "-m", "catalog.cli", "sql", LONG_QUERY, "--db", "emm1.duckdb"]
    with Terminal(command, dict(os.environ), cwd=workdir) as term:
        term.wait_busy(2.0)  # beyond starting up (about 0.5 s of CPU): DuckDB is on the query
        term.key(b"\x03")
        assert term.wait_for_exit() == 130
    assert term.screen.strip().splitlines() == ["^C" + STOPPED]


PROMPTS = (b"emm1>", b"..>")


class Terminal:
    """`command` on a pseudo-terminal that is its controlling terminal, as in a login session:
    Ctrl-C typed there is SIGINT to it. Everything the terminal showed is `screen`."""

    def __init__(self, command: list[str], env: dict, cwd: Path | None = None):
        self.leader, follower = pty.openpty()

        def take_terminal():  # in the child, once it leads a new session
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            command,
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=take_terminal,
        )
        os.close(follower)
        self.output, self.mark = b"", 0

    @property
    def screen(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")

    def type(self, line: str) -> None:
        self.key(line.encode() + b"\r")

    def key(self, keys: bytes) -> None:
        os.write(self.leader, keys)
        self.mark = len(self.output)

    def read(self, until, timeout: float = 60) -> None:
        """Read what the terminal shows until `until()` holds or the command ends."""
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the terminal shows:\n{self.screen}")
            if select.select([self.leader], [], [], 0.1)[0]:
                try:
                    self.output += os.read(self.leader, 65536)
                except OSError:  # the command has ended
                    return
            elif self.process.poll() is not None:
                return

    def wait_for_prompt(self) -> None:
        self.read(lambda: self.output[self.mark :].rstrip().endswith(PROMPTS))

    def wait_busy(self, seconds: float) -> None:
        """Until the command has used `seconds` more CPU time (all its threads together)."""
        stat = Path(f"/proc/{self.process.pid}/stat")

        def cpu() -> float:  # utime + stime, after the command name (which may hold spaces)
            fields = stat.read_text().rpartition(")")[2].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        start = cpu()
        self.read(lambda: cpu() - start >= seconds)

    def wait_for_exit(self, timeout: float = 60) -> int:
        self.read(lambda: False, timeout)
        return self.process.wait(timeout=timeout)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc) -> None:
        os.close(self.leader)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def type_at_terminal(command: list[str], lines: list[str], env: dict) -> str:
    """Run `command` on a pseudo-terminal, type each line when a prompt shows, return all
    that the terminal showed."""
    with Terminal(command, env) as term:
        for line in lines:
            term.wait_for_prompt()
            if term.process.poll() is not None:
                break
            term.type(line)
        term.wait_for_exit()
    return term.output.decode(errors="replace")
