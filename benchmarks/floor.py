"""The floor ingest is measured against: DuckDB ``read_csv`` of the same files into plain tables.

No layouts, no staging, no validation, no marts: the least work that gets the exports' bytes
into a DuckDB file. DuckDB sniffs each file's dialect and types itself; the vendors' footer
lines and extra header rows are read as rows (``null_padding``), since nothing here cleans.

    python -m benchmarks.floor EXPORTS_FOLDER WAREHOUSE_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def load(folder: Path, db: Path) -> int:
    """Read every CSV of ``folder`` into a table of its own in ``db``; return the rows read."""
    con = duckdb.connect(str(db))
    rows = 0
    for number, path in enumerate(sorted(folder.glob("*.csv"))):
        con.execute(f"CREATE TABLE file_{number} AS SELECT * FROM read_csv(?, null_padding = true, strict_mode = false)",
                    [str(path)])
        rows += con.execute(f"SELECT count(*) FROM file_{number}").fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    return rows


if __name__ == "__main__":
    print(load(Path(sys.argv[1]), Path(sys.argv[2])))
