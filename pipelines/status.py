"""What is in a warehouse: tables and rows, files loaded, quarantine by reason, data date."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines import warehouse


def status(db: Path) -> dict:
    """``report`` of a warehouse file, or ``exists: False`` when there is none yet."""
    if not db.exists():
        return {"warehouse": str(db), "exists": False, "tables": {}, "files": [], "quarantine": [], "data_date": None}
    with warehouse.connect_readonly(db) as con:
        return {"warehouse": str(db), "exists": True, **report(con)}


def report(con) -> dict:
    """Build, row counts per table, files loaded, quarantine by reason, unmapped vendor values."""
    build = con.execute("SELECT build_id, built_at, data_date FROM build_info").fetchone()
    return {
        "build_id": build[0] if build else None,
        "built_at": build[1] if build else None,
        "data_date": build[2] if build else None,
        "tables": {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in warehouse.CANONICAL_COLUMNS},
        "files": _records(con, """SELECT file_name, layout, table_name, file_sha256, loaded_at, rows_in,
                                         rows_inserted, rows_updated, rows_unchanged, rows_quarantined
                                  FROM load_log ORDER BY loaded_at, file_name"""),
        "quarantine": _records(con, """SELECT table_name, reason, count(*) AS rows FROM quarantine
                                       GROUP BY 1, 2 ORDER BY 3 DESC"""),
        "unmapped_values": _records(con, """SELECT layout, column_name, value, sum(rows) AS rows FROM unmapped_value
                                            GROUP BY 1, 2, 3 ORDER BY 4 DESC"""),
    }


def quarantined_rows(con, reason: str | None = None) -> pd.DataFrame:
    """Every quarantined row (or those of one reason) with its file, row number and record as exported."""
    return con.execute(
        """SELECT table_name, source_file, source_row, reason, record, loaded_at FROM quarantine
           WHERE ? IS NULL OR reason = ? ORDER BY loaded_at, source_file, source_row""",
        [reason, reason],
    ).df()


def _records(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def format_status(report: dict) -> str:
    if not report["exists"]:
        return f"{report['warehouse']}: no warehouse yet. Load data with: python -m pipelines ingest FILES"
    lines = [f"warehouse {report['warehouse']}", f"built at {report['built_at']} (UTC), data date {report['data_date']}", "", "tables:"]
    lines += [f"  {table:<22}{rows:>12,}" for table, rows in report["tables"].items()]
    lines += ["", "files loaded:"]
    for f in report["files"]:
        lines.append(
            f"  {f['file_name']} [{f['layout']}] sha256 {f['file_sha256'][:12]}… at {f['loaded_at']:%Y-%m-%d %H:%M}: "
            f"{f['rows_in']:,} in = {f['rows_inserted']:,} new + {f['rows_updated']:,} updated + "
            f"{f['rows_unchanged']:,} unchanged + {f['rows_quarantined']:,} quarantined"
        )
    lines += ["", "quarantine by reason:"] + [f"  {q['table_name']}: {q['reason']}: {q['rows']:,}" for q in report["quarantine"]]
    if not report["quarantine"]:
        lines.append("  (empty)")
    if report["unmapped_values"]:
        lines += ["", "vendor values missing from the mappings (loaded as empty):"]
        lines += [f"  {u['layout']}.{u['column_name']}: {u['value']!r} x {u['rows']:,}" for u in report["unmapped_values"]]
    return "\n".join(lines)
