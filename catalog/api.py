"""The catalog from Python: templates and views as DuckDB relations, exports, query output.

    import catalog
    cat = catalog.open_catalog("emm1.duckdb")
    cat.template("groups", k="1..4", modalities="image,audio").to_arrow_table()
    cat.view("triplets_labeled", where="annotation = 1").pl()
    cat.export("slices/good", view="triplets_labeled", where="annotation = 1")

Relations are lazy: nothing runs until they are converted (to_arrow_table, to_arrow_reader,
pl, df, fetchall) or written, and the conversions go column by column, never row by row
through Python.
"""

from __future__ import annotations

import os
from typing import BinaryIO, TextIO

import duckdb
import pyarrow.parquet

from catalog.db import checked_view, connect_read_only, db_path, view_names
from catalog.errors import CatalogError
from catalog.export import ExportReport, export_slice
from catalog.query import BATCH_ROWS, write_result
from catalog.templates import get_template, prepare

OUTPUT_FORMATS = ("table", "csv", "json", "parquet")


class Catalog:
    """A read-only connection to one catalog file."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = db_path(path)
        self.con = connect_read_only(self.path)

    def template(self, name: str, **params) -> duckdb.DuckDBPyRelation:
        """Template `name` with keyword parameters (text as on the command line, e.g.
        k="1..4", or Python values: k=(1, 4), modalities=["image", "audio"])."""
        _, _, sql, bound = prepare(name, params)
        try:
            return self.con.query(sql, params=bound) if bound else self.con.sql(sql)
        except duckdb.Error as e:
            raise CatalogError(f"template {name} failed: {_first_line(e)}") from None

    def view(self, name: str, where: str | None = None) -> duckdb.DuckDBPyRelation:
        """View `name` (see `views()`), optionally filtered by a SQL expression."""
        rel = self.con.table(checked_view(self.con, name))
        if where is None:
            return rel
        try:
            return rel.filter(where)
        except duckdb.Error as e:
            raise CatalogError(f"where {where!r} is not a valid filter: {_first_line(e)}") from None

    def views(self) -> list[str]:
        return view_names(self.con)

    def render(self, name: str, **params) -> str:
        """Template `name` as runnable SQL with the values inlined (for pasting elsewhere)."""
        return prepare(name, params, mode="inline")[2]

    def export(self, out: str | os.PathLike, **options) -> ExportReport:
        """catalog.export.export_slice on this catalog: template=, params= or view=, where=,
        and fmt=, partition_by=, compression=, row_group_size=, max_file_size=, overwrite=."""
        return export_slice(self.path, out, **options)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_catalog(path: str | os.PathLike | None = None) -> Catalog:
    """Open the catalog at `path` (default: $EMM1_DB, else ./emm1.duckdb) read-only."""
    return Catalog(path)


def run_template(
    db: str | os.PathLike, name: str, params: dict, limit: int | None = None
) -> duckdb.DuckDBPyRelation:
    """The relation `emm1 query` prints."""
    get_template(name)  # unknown names fail before the catalog is opened
    rel = Catalog(db).template(name, **params)
    return rel.limit(limit) if limit is not None else rel


def write_output(rel: duckdb.DuckDBPyRelation, fmt: str, out: TextIO) -> None:
    """write_result, plus Parquet: streamed in batches to a binary stream (stdout for the CLI)."""
    if fmt != "parquet":
        write_result(rel, fmt, out)
        return
    if out.isatty():
        raise CatalogError(
            "Parquet is binary: redirect stdout to a file (> out.parquet), "
            "or use `emm1 export` to write files."
        )
    out.flush()
    sink: BinaryIO = out.buffer
    try:
        reader = rel.to_arrow_reader(BATCH_ROWS)
        with pyarrow.parquet.ParquetWriter(sink, reader.schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch)
    except duckdb.Error as e:
        raise CatalogError(f"the query failed: {_first_line(e)}") from None
    sink.flush()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
