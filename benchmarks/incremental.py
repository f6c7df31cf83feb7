"""A new survey export for the incremental-ingest benchmark: answers the warehouse has not seen.

The file is the scale's own Qualtrics export (its three header rows as written, its accounts and
formats): its latest answers, as a new export holds the weeks since the last one, under new
response ids, repeated when the export holds fewer than ``rows``. It loads as ``rows`` new
answers into the warehouse built from that scale, whatever its size. (Until 6 December 2026 it
took the export's first rows: at scale 400 every one was of January 2023, years before the data
date, which a refresh could skip; at scale 1 they spanned every date.)
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# The size of "one new survey file".
NEW_SURVEY_ROWS = 10_000
SURVEY_FILE = "qualtrics_nps.csv"
# Qualtrics exports carry three header rows (pipelines/sources/qualtrics_nps.yaml).
QUALTRICS_HEADER_ROWS = 3
# The ResponseId column of the demo's Qualtrics export (0-based), the answer's natural key, and
# its RecordedDate (when the answer was recorded, ISO date and time).
RESPONSE_ID_COLUMN = 8
RECORDED_DATE_COLUMN = 7


def write_new_survey_file(exports: Path, out: Path, rows: int = NEW_SURVEY_ROWS) -> Path:
    source = exports / SURVEY_FILE
    with source.open(encoding="utf-8") as lines:
        header = [next(lines) for _ in range(QUALTRICS_HEADER_ROWS)]
    body = out.with_suffix(".body.csv")
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE answers AS SELECT * FROM read_csv(
            ?, header = false, skip = ?, all_varchar = true, delim = ',', quote = '"', escape = '"')""",
        [str(source), QUALTRICS_HEADER_ROWS],
    )
    names = [row[0] for row in con.execute("DESCRIBE answers").fetchall()]
    present = con.execute("SELECT count(*) FROM answers").fetchall()[0][0]
    copies = -(-rows // present)
    columns = ", ".join(f"printf('R_NEW%010d', n) AS c{i}" if i == RESPONSE_ID_COLUMN else f'"{name}"'
                        for i, name in enumerate(names))
    recorded = f'TRY_CAST("{names[RECORDED_DATE_COLUMN]}" AS TIMESTAMP)'
    con.sql(f"""SELECT {columns} FROM (
                  SELECT *, row_number() OVER (ORDER BY range, {recorded} DESC NULLS LAST, "{names[RESPONSE_ID_COLUMN]}") AS n
                  FROM answers CROSS JOIN range({copies}))
                ORDER BY n LIMIT {rows}""").write_csv(str(body), header=False, quoting="all")
    con.close()
    with out.open("w", encoding="utf-8") as target:
        target.writelines(header)
        target.write(body.read_text(encoding="utf-8"))
    body.unlink()
    return out
