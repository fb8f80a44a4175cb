"""Ad-hoc SQL against the catalog and writing results to a stream (stdout for the CLI)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from typing import BinaryIO, TextIO

import duckdb
import pyarrow.csv

from catalog.db import connect_hardened, hardened_statements
from catalog.display import write_lines, write_table
from catalog.errors import CatalogError, duckdb_message, sentence
from catalog.interrupt import interruptible

FORMATS = ("table", "line", "csv", "json")
BATCH_ROWS = 100_000
MAX_ROWS = 20  # rows a table (or line) shows unless asked for more
MORE = "--max-rows N shows N (0: all), --format csv prints every row"


def run_sql(
    db: str | os.PathLike,
    query: str,
    fmt: str,
    out: TextIO,
    allow_dirs: Iterable[str | os.PathLike] = (),
    max_rows: int = MAX_ROWS,
) -> None:
    """`emm1 sql`: run `query` on a hardened read-only connection (catalog.db.connect_hardened:
    queries only, no file outside `allow_dirs`) and write the result of its last statement to
    `out` as `fmt` (a table or lines show `max_rows`, 0 for all). Every statement is checked
    before any runs. Ctrl-C stops DuckDB at once and raises KeyboardInterrupt
    (catalog.interrupt)."""
    with connect_hardened(db, allow_dirs) as con:
        try:
            with interruptible(con):
                statements = hardened_statements(con, query)
                for statement in statements[:-1]:
                    con.execute(statement).fetchall()
                if statements:
                    write_result(con.sql(statements[-1]), fmt, out, max_rows)
        except duckdb.Error as e:
            raise query_error(e) from None


def query_error(error: duckdb.Error) -> CatalogError:
    """The message for a query DuckDB refused, with DuckDB's hints (catalog.errors.duckdb_message);
    a refused file says how to allow a folder."""
    failed = f"the query failed: {duckdb_message(error)}"
    if isinstance(error, duckdb.PermissionException):
        return CatalogError(
            f"{sentence(failed)} Queries cannot read or write files; --allow-files DIR opens "
            "one folder."
        )
    if isinstance(error, duckdb.OutOfMemoryException):
        return CatalogError(
            f"{sentence(failed)} Queries here never spill to disk: ask for fewer rows or "
            "columns, or write a large slice with `emm1 export`."
        )
    return CatalogError(failed)


def write_result(
    rel: duckdb.DuckDBPyRelation | None,
    fmt: str,
    out: TextIO,
    max_rows: int = MAX_ROWS,
    more: str = MORE,
) -> None:
    """Write a result as a table, `column = value` lines, CSV (with header) or a JSON array of
    objects, streaming it in batches so that large results never sit in memory at once. A table
    or lines show the first `max_rows` rows (0: all), and a footer says how many there are and,
    when some are not shown, `more`: how to see them (catalog.display)."""
    if rel is None:
        return
    shown = max_rows or None
    try:
        if fmt == "table":
            width = shutil.get_terminal_size((160, 40)).columns
            write_table(rel, out, width, shown, more)
        elif fmt == "line":
            write_lines(rel, out, shown, more)
        elif fmt == "csv":
            _write_csv(rel, out)
        elif fmt == "json":
            _write_json(rel, out)
        else:
            raise CatalogError(f"unknown format {fmt!r}. Formats: {', '.join(FORMATS)}.")
    except duckdb.Error as e:
        raise query_error(e) from None
    out.flush()


def _write_csv(rel: duckdb.DuckDBPyRelation, out: TextIO) -> None:
    # Text out of DuckDB (lists, structs and enums included); empty field = NULL.
    reader = rel.query("result", "SELECT COLUMNS(*)::VARCHAR FROM result").to_arrow_reader(
        BATCH_ROWS
    )
    out.flush()
    sink: BinaryIO = out.buffer
    options = pyarrow.csv.WriteOptions(include_header=True, quoting_style="needed")
    with pyarrow.csv.CSVWriter(sink, reader.schema, write_options=options) as writer:
        for batch in reader:
            writer.write_batch(batch)
    sink.flush()


def _write_json(rel: duckdb.DuckDBPyRelation, out: TextIO) -> None:
    reader = rel.query(
        "result", "SELECT to_json(result)::VARCHAR AS j FROM result"
    ).to_arrow_reader(BATCH_ROWS)
    out.write("[")
    first = True
    for batch in reader:
        lines = batch.column(0).to_pylist()
        if lines:
            out.write(("\n" if first else ",\n") + ",\n".join(lines))
            first = False
    out.write("\n]\n" if not first else "]\n")
