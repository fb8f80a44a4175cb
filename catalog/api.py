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

from catalog.db import checked_view, connect_hardened, connect_read_only, db_path, view_names
from catalog.errors import CatalogError, duckdb_message
from catalog.export import ExportReport, export_slice
from catalog.query import BATCH_ROWS, MAX_ROWS, query_error, write_result
from catalog.templates import get_template, prepare

OUTPUT_FORMATS = ("table", "csv", "json", "parquet")


class Catalog:
    """A read-only connection to one catalog file (`con`, a plain DuckDB connection: it can do
    whatever its owner's Python can). Template values are bound parameters; a view's `where`
    runs on a second, hardened connection, opened when first needed."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = db_path(path)
        self.con = connect_read_only(self.path)
        self._hardened: duckdb.DuckDBPyConnection | None = None

    def template(self, name: str, **params) -> duckdb.DuckDBPyRelation:
        """Template `name` with keyword parameters (text as on the command line, e.g.
        k="1..4", or Python values: k=(1, 4), modalities=["image", "audio"], present_only=True;
        a flag is also "yes"/"no"/"true"/"false", and False is the same as not given). Rows come
        in the template's documented order (order_by="none": unordered). A value the catalog
        cannot answer for (an unknown source, present_only before any `emm1 files scan`) fails
        when the relation runs, with DuckDB's InvalidInputException naming the fix."""
        _, _, sql, bound = prepare(name, params)
        try:
            return self.con.query(sql, params=bound) if bound else self.con.sql(sql)
        except duckdb.Error as e:
            raise CatalogError(f"template {name} failed: {duckdb_message(e)}") from None

    def view(self, name: str, where: str | None = None) -> duckdb.DuckDBPyRelation:
        """View `name` (see `views()`), optionally filtered by `where`: one SQL expression over
        its columns, safe to take from others. It is evaluated on a hardened connection
        (catalog.db.connect_hardened), so it cannot add a statement, read or write a file or
        change a setting; subqueries over the catalog work. That connection never spills to
        disk: it holds at most half of this machine's memory."""
        if where is None:
            return self.con.table(checked_view(self.con, name))
        if self._hardened is None:
            self._hardened = connect_hardened(self.path)
        rel = self._hardened.table(checked_view(self._hardened, name))
        try:
            return rel.filter(where)
        except duckdb.Error as e:
            raise CatalogError(
                f"where {where!r} is not a valid filter: {duckdb_message(e)}"
            ) from None

    def views(self) -> list[str]:
        return view_names(self.con)

    def render(self, name: str, **params) -> str:
        """Template `name` as runnable SQL with the values inlined (for pasting elsewhere)."""
        return prepare(name, params, mode="inline")[2]

    def export(
        self, out: str | os.PathLike, *, format: str | None = None, **options
    ) -> ExportReport:
        """catalog.export.export_slice on this catalog: template=, params=, or view=, where=, or
        sql=; format= (or fmt=) parquet, csv or jsonl; partition_by=, compression=,
        row_group_size=, max_file_size=, limit=, sample=, seed=, overwrite=."""
        if format is not None:
            if options.get("fmt", format) != format:
                raise CatalogError(f"format={format!r} and fmt={options['fmt']!r}: give one.")
            options["fmt"] = format
        return export_slice(self.path, out, **options)

    def close(self) -> None:
        self.con.close()
        if self._hardened is not None:
            self._hardened.close()

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


def write_output(
    rel: duckdb.DuckDBPyRelation, fmt: str, out: TextIO, max_rows: int = MAX_ROWS
) -> None:
    """write_result, plus Parquet: streamed in batches to a binary stream (stdout for the CLI)."""
    if fmt != "parquet":
        write_result(rel, fmt, out, max_rows)
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
        raise query_error(e) from None
    sink.flush()
