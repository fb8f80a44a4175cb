"""The query templates as DuckDB table macros stored in the catalog, for clients that cannot
run `emm1` (BI tools, other languages): `SELECT * FROM modality_pair('points', 'audio')`.

Each macro is rendered from the same sql/<name>.sql.j2 as `emm1 query`, with the template's
parameters as macro parameters (a range parameter k becomes k_min and k_max) and its defaults
as the macro's defaults. Each carries a comment: title, description and parameters.
"""

from __future__ import annotations

import duckdb

from catalog.templates import templates


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) a table macro for every template."""
    for template in templates().values():
        con.execute(template.macro_sql())
