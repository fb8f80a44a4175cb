"""Values the catalog holds, so that a filter naming one it does not hold is refused with the
list instead of giving an empty answer (`emm1 files missing --source-dataset`). The templates
check theirs in their SQL (catalog.template_sql)."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from catalog.errors import CatalogError
from catalog.sqltext import resource_text


def check_sources(
    con: duckdb.DuckDBPyConnection, sources: Iterable[str] | None, scope: dict[str, list[str]]
) -> None:
    """Refuse a source dataset that no asset of the parts and modalities in `scope` (bound
    parameters `parts` and `modalities`) comes from. Names match exactly, as stored."""
    if not sources:
        return
    sql = resource_text("catalog.sql", "source_datasets.sql")
    known = [r[0] for r in con.execute(sql, scope).fetchall()]
    for source in sources:
        if source not in known:
            raise CatalogError(
                f"unknown source dataset {source!r} in {', '.join(scope['parts'])} "
                f"{', '.join(scope['modalities'])}. Choose from: {', '.join(known)} "
                "(spelled as shown)."
            )
