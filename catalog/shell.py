"""`emm1 shell`: an interactive SQL prompt on the catalog.

Statements may span lines and run when a line ends with `;`. Results print as tables (or
`column = value` lines, CSV, JSON with `.format`), the first 20 rows (`.maxrows`). Lines starting
with a dot are helpers: `.tables`, `.schema NAME`, `.templates`, `.format`, `.maxrows`, `.help`,
`.quit`. The connection is the hardened read-only one of
`emm1 sql`, and the same statements run. At a terminal, lines are edited with readline and kept
in a history file, and Ctrl-C stops a running statement and returns to the prompt; from a pipe,
the shell reads statements without prompts, as a script, which Ctrl-C ends.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

import duckdb

from catalog.db import connect_hardened, hardened_statements
from catalog.errors import CatalogError
from catalog.interrupt import STOPPED, interruptible
from catalog.query import FORMATS, MAX_ROWS, query_error, write_result
from catalog.sqltext import resource_text
from catalog.templates import Template, templates

PROMPT = "emm1> "
CONTINUE = "  ..> "
HELP = """\
End SQL statements with ;   they may span several lines.
.tables          the views and tables, with what each holds
.schema NAME     the columns of a view or table, with their types and comments, or the
                 parameters of a table macro (a query template) and what it returns
.templates       the query templates, as table macros: name(parameters): title
.format FORMAT   how results print: table, line (one `column = value` per line), csv or json
.maxrows N       rows a table or line result shows (default 20; 0: all)
.help            this text
.quit            leave (so does Ctrl-D)"""


def history_file() -> Path:
    """Where the prompt's history is kept: $XDG_STATE_HOME/emm1/history, else ~/.emm1_history."""
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "emm1" / "history"
    return Path.home() / ".emm1_history"


MORE = ".maxrows N shows N (0: all), .format csv prints every row"


def signature(t: Template) -> str:
    """A template's table macro with its parameters: optional ones in brackets, passed as
    `name := value`."""
    names = [n for p in t.params if p.required for n in p.sql_names]
    optional = [n for p in t.params if not p.required for n in p.sql_names]
    if optional:
        names.append(f"[{', '.join(optional)}]")
    return f"{t.name}({', '.join(names)})"


def templates_listing() -> str:
    """One line per query template: its table macro's name and parameters, then its title."""
    lines = [f"{signature(t)}: {t.title}" for _, t in sorted(templates().items())]
    return "\n".join(lines) or "no query templates installed"


class Shell:
    """One session on one catalog: `feed` it lines, then `finish`."""

    def __init__(self, db: Path, allow_dirs=(), out: TextIO | None = None, err=None):
        self.db = Path(db).absolute()
        self.con = connect_hardened(db, allow_dirs)
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.format = "table"
        self.max_rows = MAX_ROWS
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
            sql, self.buffer = "\n".join(self.buffer), []
            self.execute(sql)
        return True

    def finish(self) -> int:
        """Run a last statement that lacks its ;, close, and return how many failed."""
        if "".join(self.buffer).strip():
            self.execute("\n".join(self.buffer))
        self.buffer = []
        self.con.close()
        return self.errors

    def execute(self, sql: str) -> None:
        """Run statements as `emm1 sql` does (catalog.db.hardened_statements); Ctrl-C stops
        DuckDB at once and raises KeyboardInterrupt."""
        try:
            with interruptible(self.con):
                for statement in hardened_statements(self.con, sql):
                    rel = self.con.sql(statement)
                    write_result(rel, self.format, self.out, self.max_rows, MORE)
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
        elif command == ".maxrows" and argument.isdigit():
            self.max_rows = int(argument)
        elif command == ".maxrows":
            self.fail(CatalogError(".maxrows takes a number of rows, 0 for all."))
        else:
            self.fail(CatalogError(f"unknown helper {line!r}. .help lists them."))
        self.out.flush()
        return True

    def schema(self, name: str) -> None:
        found = self.con.execute(
            resource_text("catalog", "shell/relation.sql"), {"name": name}
        ).fetchall()
        if not found:
            self.fail(
                CatalogError(
                    f"no table, view or macro named {name!r}. .tables lists the tables and "
                    "views, .templates the table macros."
                )
            )
            return
        kind, comment, parameters = found[0]
        if kind.endswith("macro"):
            print(macro_schema(kind, name, comment, parameters), file=self.out)
            return
        print(f"{kind} {name}: {comment}", file=self.out)
        self.show(resource_text("catalog", "shell/schema.sql"), {"name": name})

    def show(self, sql: str, params: dict | None = None) -> None:
        """A helper's answer: all of its rows, even as a table."""
        write_result(self.con.sql(sql, params=params), self.format, self.out, 0)

    def fail(self, error: CatalogError) -> None:
        self.errors += 1
        print(f"Error: {error}", file=self.err, flush=True)


def macro_schema(kind: str, name: str, comment: str | None, parameters: list[str]) -> str:
    """`.schema NAME` of a macro: for a query template its signature and title, each parameter
    (type, allowed values, default, meaning) and the order of its rows; for another macro its
    parameters and comment."""
    t = templates().get(name)
    if t is None or kind != "table macro":
        return f"{kind} {name}({', '.join(parameters)}): {comment or ''}".rstrip()
    lines = [f"table macro {signature(t)}: {t.title}", "", t.description, ""]
    lines += [f"  {p.describe()}" for p in t.params] or ["  (no parameters)"]
    return "\n".join([*lines, "", t.order_text()])


def run_shell(db: Path, allow_dirs=(), stdin: TextIO | None = None) -> int:
    """The `emm1 shell` session on `db`: prompts at a terminal, a script from a pipe. Returns
    the number of statements and helpers that failed."""
    stdin = stdin or sys.stdin
    shell = Shell(db, allow_dirs)
    try:
        if not stdin.isatty():  # Ctrl-C stops the script: KeyboardInterrupt
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
    finally:
        shell.con.close()


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
            try:
                if not shell.feed(line):
                    return
            except KeyboardInterrupt:  # Ctrl-C stops the running statement
                shell.fail(CatalogError(f"{STOPPED}."))
    finally:
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history)
