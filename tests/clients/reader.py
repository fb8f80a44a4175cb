"""A reader that queries a catalog in a loop, as a dashboard does, until told to stop.

    python reader.py DB hold|reopen LOG STOP_FILE

`hold` opens one read-only connection and keeps it (a BI tool with a long-lived connection);
`reopen` opens a new connection for every query (a pool, or `emm1 sql` run again and again).
Each query (answer.sql) reads every group row. LOG gets one JSON line each time the answer
changes: the answer, when the query that first gave it began and ended, and when the last
query with the answer before began (time.monotonic, the same clock in every process); one line
per error; and a last line with the number of queries and the time of the last one.
"""

import json
import sys
import time
from pathlib import Path

import duckdb

ANSWER = (Path(__file__).parent / "answer.sql").read_text()
PAUSE = 0.002  # seconds between queries: a busy dashboard, not a benchmark

db, mode, log_path, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
held = duckdb.connect(db, read_only=True) if mode == "hold" else None
queries, last_answer, last_time, last_began = 0, None, None, None
with open(log_path, "a") as log:

    def note(**entry):
        log.write(json.dumps(entry) + "\n")
        log.flush()

    while not stop.exists():
        began = time.monotonic()
        try:
            if held is not None:
                answer = list(held.execute(ANSWER).fetchall()[0])
            else:
                with duckdb.connect(db, read_only=True) as con:
                    answer = list(con.execute(ANSWER).fetchall()[0])
        except duckdb.Error as e:
            note(error=str(e), at=time.monotonic())
            continue
        queries, last_time = queries + 1, time.monotonic()
        if answer != last_answer:
            note(answer=answer, at=last_time, began=began, previous_began=last_began)
            last_answer = answer
        last_began = began
        time.sleep(PAUSE)
    note(queries=queries, last=last_time)
