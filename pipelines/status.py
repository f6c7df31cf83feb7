"""What is in a warehouse: tables and rows, files loaded, freshness per source, the last
validation results per table, quarantine by reason, data date."""

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
                                         rows_inserted, rows_updated, rows_unchanged, rows_quarantined, loaded_by
                                  FROM load_log ORDER BY loaded_at, file_name"""),
        "quarantine": _records(con, """SELECT table_name, reason, count(*) AS rows FROM quarantine
                                       GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"""),
        "unmapped_values": _records(con, """SELECT layout, column_name, value, sum(rows) AS rows FROM unmapped_value
                                            GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3"""),
        "freshness": freshness(con),
        "validation": validation_summary(con),
    }


def freshness(con) -> list[dict]:
    """Per source layout: files loaded, when the latest was loaded, and the latest event its rows
    record (mart_latest_event, the definition mart_data_date reads too)."""
    return _records(
        con,
        """SELECT l.layout, l.table_name, count(DISTINCT l.file_sha256) AS files, max(l.loaded_at) AS last_loaded_at,
                  arg_max(l.file_name, l.loaded_at) AS last_file, max(e.event_date) AS latest_event_date
           FROM load_log AS l
           LEFT JOIN mart_latest_event AS e ON e.file_sha256 = l.file_sha256 AND e.table_name = l.table_name
           GROUP BY l.layout, l.table_name ORDER BY last_loaded_at DESC, l.layout""",
    )


def validation_summary(con) -> list[dict]:
    """Per table, its latest build's validation: expectations run, passed, failed (quarantine or warning)."""
    return _records(
        con,
        f"""{_LATEST_VALIDATION}
            SELECT v.table_name, max(v.validated_at) AS validated_at, count(*) AS expectations,
                   count(*) FILTER (WHERE v.success) AS passed,
                   count(*) FILTER (WHERE NOT v.success AND v.action = 'quarantine') AS failed_quarantine,
                   count(*) FILTER (WHERE NOT v.success AND v.action = 'warning') AS failed_warning,
                   coalesce(sum(v.unexpected_count) FILTER (WHERE v.action = 'quarantine'), 0) AS rows_quarantined,
                   coalesce(sum(v.unexpected_count) FILTER (WHERE v.action = 'warning'), 0) AS rows_warned
            FROM validation_result AS v {_JOIN_LATEST}
            GROUP BY v.table_name ORDER BY v.table_name""",
    )


def failed_expectations(con) -> pd.DataFrame:
    """The expectations that failed in each table's latest validated build, with rows failing and a sample."""
    return con.execute(
        f"""{_LATEST_VALIDATION}
            SELECT v.table_name, coalesce(v.source_file, '(whole warehouse)') AS checked, v.expectation,
                   v.column_name, v.action, v.unexpected_count AS rows_failing, v.sample
            FROM validation_result AS v {_JOIN_LATEST}
            WHERE NOT v.success ORDER BY v.table_name, v.action, v.unexpected_count DESC"""
    ).df()


# What "the last validation of a table" is: the files of the latest build that loaded into it,
# and the latest build's checks of the whole warehouse (references), which run on every build.
_LATEST_VALIDATION = """WITH latest AS (
    SELECT table_name, arg_max(build_id, validated_at) AS build_id, FALSE AS whole FROM validation_result
    WHERE source_file IS NOT NULL GROUP BY table_name
    UNION ALL
    SELECT DISTINCT table_name, (SELECT arg_max(build_id, validated_at) FROM validation_result WHERE source_file IS NULL),
           TRUE FROM validation_result WHERE source_file IS NULL)"""
_JOIN_LATEST = """JOIN latest AS l ON l.table_name = v.table_name AND l.build_id = v.build_id
                   AND l.whole = (v.source_file IS NULL)"""


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
    lines += ["", "last validation per table (expectations passed / failed to quarantine / failed as warnings):"]
    lines += [
        f"  {v['table_name']:<22}{v['passed']:>4} passed {v['failed_quarantine']:>3} quarantine "
        f"({v['rows_quarantined']:,} rows) {v['failed_warning']:>3} warnings ({v['rows_warned']:,} rows)"
        for v in report["validation"]
    ] or ["  (none yet)"]
    lines += ["", "freshness per source (last loaded, latest event):"]
    lines += [
        f"  {f['layout']:<26}{f['last_loaded_at']:%Y-%m-%d %H:%M}  {f['latest_event_date'] or '–'}  ({f['last_file']})"
        for f in report["freshness"]
    ]
    if report["unmapped_values"]:
        lines += ["", "vendor values missing from the mappings (loaded as empty):"]
        lines += [f"  {u['layout']}.{u['column_name']}: {u['value']!r} x {u['rows']:,}" for u in report["unmapped_values"]]
    return "\n".join(lines)
