"""`emm1 shell`: an interactive SQL prompt on the catalog.

Statements may span lines and run when a line ends with `;`. Results print as tables (or CSV,
JSON with `.format`). Lines starting with a dot are helpers: `.tables`, `.schema NAME`,
`.templates`, `.format`, `.help`, `.quit`. The connection is the hardened read-only one of
`emm1 sql`. At a terminal, lines are edited with readline and kept in a history file; from a
pipe, the shell reads statements without prompts, as a script.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import TextIO

import duckdb

from catalog.db import connect_hardened
from catalog.errors import CatalogError
from catalog.query import FORMATS, query_error, write_result
from catalog.sqltext import resource_text
from catalog.templates import templates

PROMPT = "emm1> "
CONTINUE = "  ..> "
HELP = """\
End SQL statements with ;   they may span several lines.
.tables          the views and tables, with what each holds
.schema NAME     the columns of a view or table, with their types and comments
.templates       the query templates, as table macros: name(parameters): title
.format FORMAT   how results print: table, csv or json
.help            this text
.quit            leave (so does Ctrl-D)"""


def history_file() -> Path:
    """Where the prompt's history is kept: $XDG_STATE_HOME/emm1/history, else ~/.emm1_history."""
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "emm1" / "history"
    return Path.home() / ".emm1_history"


def templates_listing() -> str:
    """One line per query template: its table macro's name and parameters (optional ones in
    brackets, passed as `name := value`), then its title."""
    lines = []
    for name, t in sorted(templates().items()):
        required = [n for p in t.params if p.required for n in p.sql_names]
        optional = [n for p in t.params if not p.required for n in p.sql_names]
        params = ", ".join(required + ([f"[{', '.join(optional)}]"] if optional else []))
        lines.append(f"{name}({params}): {t.title}")
    return "\n".join(lines) or "no query templates installed"


class Shell:
    """One session on one catalog: `feed` it lines, then `finish`."""

    def __init__(self, db: Path, allow_dirs=(), out: TextIO | None = None, err=None):
        self.db = Path(db).absolute()
        self.con = connect_hardened(db, allow_dirs)
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.format = "table"
        self.errors = 0
        self.buffer: list[str] = []

    @property
    def continuing(self) -> bool:
        """True in the middle of a statement (its lines so far lack the final ;)."""
        return bool(self.buffer)

    def feed(self, line: str) -> bool:
        """Take one line: a helper runs at once, a statement when a line ends with ;.
        Returns False when the session should end."""
        if not self.buffer and line.strip().startswith("."):
            return self.helper(line.strip())
        if self.buffer or line.strip():
            self.buffer.append(line)
        if line.rstrip().endswith(";"):
            self.execute("\n".join(self.buffer))
            self.buffer = []
        return True

    def finish(self) -> int:
        """Run a last statement that lacks its ;, close, and return how many failed."""
        if "".join(self.buffer).strip():
            self.execute("\n".join(self.buffer))
        self.buffer = []
        self.con.close()
        return self.errors

    def execute(self, sql: str) -> None:
        try:
            for statement in self.con.extract_statements(sql):
                write_result(self.con.sql(statement.query), self.format, self.out)
        except duckdb.Error as e:
            self.fail(query_error(e))
        except CatalogError as e:
            self.fail(e)

    def helper(self, line: str) -> bool:
        """Run one dot command; False means leave."""
        command, _, argument = line.partition(" ")
        argument = argument.strip()
        if command in (".quit", ".exit"):
            return False
        if command == ".help":
            print(HELP, file=self.out)
        elif command == ".tables":
            self.show(resource_text("catalog", "shell/tables.sql"))
        elif command == ".schema" and argument:
            self.schema(argument)
        elif command == ".templates":
            print(templates_listing(), file=self.out)
        elif command == ".format" and argument in FORMATS:
            self.format = argument
        elif command == ".format":
            self.fail(CatalogError(f".format takes one of: {', '.join(FORMATS)}."))
        else:
            self.fail(CatalogError(f"unknown helper {line!r}. .help lists them."))
        self.out.flush()
        return True

    def schema(self, name: str) -> None:
        found = self.con.execute(
            resource_text("catalog", "shell/relation.sql"), {"name": name}
        ).fetchall()
        if not found:
            self.fail(CatalogError(f"no table or view named {name!r}. .tables lists them."))
            return
        kind, comment = found[0]
        print(f"{kind} {name}: {comment}", file=self.out)
        self.show(resource_text("catalog", "shell/schema.sql"), {"name": name})

    def show(self, sql: str, params: dict | None = None) -> None:
        """A helper's answer: all of its rows, even as a table."""
        rel = self.con.sql(sql, params=params)
        if self.format != "table":
            write_result(rel, self.format, self.out)
            return
        with contextlib.redirect_stdout(self.out):
            rel.show(max_width=shutil.get_terminal_size((160, 40)).columns, max_rows=10_000)

    def fail(self, error: CatalogError) -> None:
        self.errors += 1
        print(f"Error: {error}", file=self.err, flush=True)


def run_shell(db: Path, allow_dirs=(), stdin: TextIO | None = None) -> int:
    """The `emm1 shell` session on `db`: prompts at a terminal, a script from a pipe. Returns
    the number of statements and helpers that failed."""
    stdin = stdin or sys.stdin
    shell = Shell(db, allow_dirs)
    if not stdin.isatty():
        for line in stdin:
            if not shell.feed(line.rstrip("\n")):
                break
        return shell.finish()
    print(
        f"emm1 shell on {shell.db} (read-only). End statements with ; and type .help for "
        "the helpers.",
        file=shell.out,
    )
    _prompt(shell, history_file())
    return shell.finish()


def _prompt(shell: Shell, history: Path) -> None:
    """Lines typed at a terminal, edited with readline and remembered in `history`."""
    import readline

    if history.exists():
        readline.read_history_file(history)
    readline.set_history_length(2000)
    try:
        while True:
            try:
                line = input(CONTINUE if shell.continuing else PROMPT)
            except EOFError:  # Ctrl-D
                print(file=shell.out)
                return
            except KeyboardInterrupt:  # Ctrl-C drops the statement being typed
                print("^C", file=shell.out)
                shell.buffer = []
                continue
            if not shell.feed(line):
                return
    finally:
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history)
