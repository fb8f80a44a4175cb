"""The engine floor for a build: bare DuckDB loading every CSV of the dataset into one file
with `CREATE TABLE ... AS SELECT * FROM read_csv(...)`, nothing else.

    python bench/floor_build.py DATA_DIR DB [MEMORY_LIMIT]
"""

import sys
from pathlib import Path

import duckdb

data, db = Path(sys.argv[1]), Path(sys.argv[2])
memory_limit = sys.argv[3] if len(sys.argv) > 3 else "2GB"
db.unlink(missing_ok=True)
con = duckdb.connect(str(db), config={"memory_limit": memory_limit})
for n, path in enumerate(sorted(data.rglob("*.csv"))):
    con.execute(f"CREATE TABLE t{n} AS SELECT * FROM read_csv('{path}')")
con.close()
