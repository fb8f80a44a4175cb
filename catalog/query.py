"""Ad-hoc SQL against the catalog and writing results to a stream (stdout for the CLI)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from typing import BinaryIO, TextIO

import duckdb
import pyarrow.csv

from catalog.db import connect_hardened
from catalog.errors import CatalogError
from catalog.sqltext import ident

FORMATS = ("table", "csv", "json")
BATCH_ROWS = 100_000


def run_sql(
    db: str | os.PathLike, query: str, allow_dirs: Iterable[str | os.PathLike] = ()
) -> duckdb.DuckDBPyRelation | None:
    """Run `query` on a hardened read-only connection: no files, no ATTACH, no SET, except
    reading and writing files below `allow_dirs`. Returns its result as a relation, or None for
    a statement that returns nothing. The connection stays open as long as the relation."""
    con = connect_hardened(db, allow_dirs)
    try:
        return con.sql(query)
    except duckdb.Error as e:
        con.close()
        raise query_error(e) from None


def query_error(error: duckdb.Error) -> CatalogError:
    """The message for a query DuckDB refused; a refused file says how to allow a folder."""
    if isinstance(error, duckdb.PermissionException):
        return CatalogError(
            f"the query failed: {_first_line(error)}. Queries cannot read or write files; "
            "--allow-files DIR opens one folder."
        )
    return CatalogError(f"the query failed: {_first_line(error)}")


def write_result(rel: duckdb.DuckDBPyRelation | None, fmt: str, out: TextIO) -> None:
    """Write a result as a table, CSV (with header) or a JSON array of objects, streaming it in
    batches so that large results never sit in memory at once."""
    if rel is None:
        return
    try:
        if fmt == "table":
            with contextlib.redirect_stdout(out):
                _enums_as_text(rel).show(max_width=shutil.get_terminal_size((160, 40)).columns)
        elif fmt == "csv":
            _write_csv(rel, out)
        elif fmt == "json":
            _write_json(rel, out)
        else:
            raise CatalogError(f"unknown format {fmt!r}. Formats: {', '.join(FORMATS)}.")
    except duckdb.Error as e:
        raise CatalogError(f"the query failed: {_first_line(e)}") from None
    out.flush()


def _enums_as_text(rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """For display: an ENUM column's header would list every member; show it as text."""
    if not any(str(t).startswith("ENUM") for t in rel.types):
        return rel
    return rel.project(
        ", ".join(
            f"{ident(c)}::VARCHAR AS {ident(c)}" if str(t).startswith("ENUM") else ident(c)
            for c, t in zip(rel.columns, rel.types, strict=True)
        )
    )


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


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
