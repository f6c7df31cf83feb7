"""Ingest: files in, one atomic warehouse build out.

For each file: recognise its layout, land it (DuckDB bulk read), stage it (SQL from the
mapping), validate it (GX), quarantine failing rows, and upsert the rest by natural key. Then
rebuild the marts and swap the new build in. Any rejected file stops the whole run before the
swap, so the warehouse the app reads is never a partial one.
"""

from __future__ import annotations

import getpass
import json
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

from pipelines import adapters, limits, marts, tempfiles, validation, warehouse
from pipelines.adapters import Layout, SourceFile
from pipelines.errors import IngestError

Progress = Callable[[str], None]
DATA_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}


@dataclass
class FileResult:
    file_name: str
    layout: str
    table: str
    rows_in: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: bool = False  # the same bytes were loaded before
    unmapped: dict = field(default_factory=dict)  # column -> {vendor value: rows}
    seconds: float = 0.0
    duplicates: dict = field(default_factory=dict)  # row -> the earlier, identical row it repeats
    footer_rows: int = 0  # report footer and totals lines: skipped, not records

    def reconciles(self) -> bool:
        return self.skipped or self.rows_in == (
            self.inserted + self.updated + self.unchanged + self.quarantined + len(self.duplicates))

    def summary(self) -> str:
        if self.skipped:
            return f"{self.file_name}: already loaded (same bytes, same mapping); nothing changed"
        text = (
            f"{self.file_name} [{self.layout} -> {self.table}]: {self.rows_in:,} rows = "
            f"{self.inserted:,} new + {self.updated:,} updated + {self.unchanged:,} unchanged + "
            f"{self.quarantined:,} quarantined"
            + (f" + {len(self.duplicates):,} duplicate" if self.duplicates else "")
            + f" ({self.seconds:.1f} s)"
        )
        if self.duplicates:
            shown = ", ".join(f"row {row} duplicate of row {first}" for row, first in list(self.duplicates.items())[:10])
            text += f"\n  identical repeated rows, kept once: {shown}" + (" ..." if len(self.duplicates) > 10 else "")
        if self.footer_rows:
            text += f"\n  skipped: report footer ({self.footer_rows} line{'s' if self.footer_rows > 1 else ''})"
        for column, values in self.unmapped.items():
            # a row is useless without a required column: its rows went to quarantine, not in empty
            fate = (f"their rows quarantined as 'missing {column}'"
                    if column in validation.REQUIRED[self.table] or column == warehouse.NATURAL_KEYS[self.table]
                    else "loaded as empty")
            text += f"\n  unmapped {column} values ({fate}; add them to the mapping): {values}"
        return text


def expand(paths: list[Path]) -> list[Path]:
    """Directories stand for the data files inside them."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in DATA_SUFFIXES))
        else:
            files.append(path)
    return files


def ingest(
    paths: list[Path],
    db: Path | None = None,
    layout_name: str | None = None,
    mappings: list[Path] | None = None,
    sheet: str | None = None,
    progress: Progress = lambda message: None,
    lock_wait: float = warehouse.LOCK_WAIT_SECONDS,
    data_docs: bool = True,
    loaded_by: str | None = None,
) -> list[FileResult]:
    """Load files into the warehouse in one build; raise IngestError naming every rejected file.

    ``loaded_by`` names who loaded the files in the load log (default: the operating system's
    user, for the command line). ``data_docs=False`` skips rendering the GX Data Docs (about half a second a build; the
    results are stored in ``validation_result`` either way): for tests about other things.
    """
    db = warehouse.db_path(db)
    layouts = adapters.load_layouts(mappings)
    forced = _forced_layout(layouts, layout_name)
    given = [layouts[Path(m).stem] for m in mappings or []]
    files = expand(paths)
    if not files:
        raise IngestError("no files to ingest")
    tempfiles.sweep_stale()  # exports left in the temp folder by a crashed run
    with tempfile.TemporaryDirectory(prefix=tempfiles.PREFIX) as tmp:
        prepared, problems = [], []
        for path in files:
            try:
                source = adapters.prepare(path, Path(tmp), sheet)
                layout = forced or _layout_of(source, layouts, given)
                layout = adapters.locate_header(source, layout) or layout  # report title lines
                adapters.check_required(source, layout)
                too_big = limits.check_load_size(path.name, source.csv_path.stat().st_size)
                if too_big:
                    raise IngestError(too_big)
                prepared.append((source, layout))
            except IngestError as exc:
                problems.append(str(exc))
        if problems:
            raise IngestError("\n\n".join(problems) + "\n\nNothing was loaded; the warehouse is unchanged.")
        prepared.sort(key=lambda item: warehouse.TABLE_ORDER.index(item[1].table))
        loaded_before, upgrades = _live_warehouse(db)
        skipped = [FileResult(s.path.name, lay.name, lay.table, skipped=True) for s, lay in prepared
                   if (s.sha256, lay.digest) in loaded_before]
        for result in skipped:
            progress(result.summary())
        todo = [(s, lay) for s, lay in prepared if (s.sha256, lay.digest) not in loaded_before]
        if upgrades:
            progress(f"{db.name} was built by an earlier version: bringing to this version " + ", ".join(upgrades))
        if not todo:  # nothing new: keep the current build (and every reader's cache), upgraded if older
            if upgrades:
                warehouse.upgrade(db, lock_wait)
            return skipped
        results = skipped
        build_id = uuid.uuid4().hex
        reports: list[tuple[str, object]] = []
        with warehouse.build(db, lock_wait, build_id) as con:
            for source, layout in todo:
                results.append(load_file(con, source, layout, progress, build_id, reports,
                                         loaded_by or getpass.getuser()))
            progress("checking references between tables with Great Expectations")
            check_references(con, build_id, reports)
            touched = marts.refreshable_accounts(con)
            how = "in full" if touched is None else f"refreshing the rows of the {touched:,} accounts the load touched"
            progress(f"building marts ({how}) and swapping in the new build of {db.name}")
    if data_docs:  # after the swap: the docs are a view of validation_result, now current
        try:
            validation.write_data_docs(reports, warehouse.docs_dir(db), build_id)
        except Exception as exc:  # the build is in and its results stored; only GX's rendering failed
            progress(f"the GX Data Docs were not written ({exc}); the results are in validation_result")
    return results


def ingest_uploads(files: list[tuple[str, bytes]], db: Path | None = None, **options) -> list[FileResult]:
    """``ingest`` for files that arrive as bytes (the Data page's uploader): saved under their own
    names, so messages and lineage name the file the analyst chose, then loaded the same way."""
    with tempfile.TemporaryDirectory(prefix="winwin-upload-") as tmp:
        paths = []
        for number, (name, content) in enumerate(files):
            folder = Path(tmp) / str(number)  # two uploads named alike never overwrite each other
            folder.mkdir()
            path = folder / upload_name(name)
            path.write_bytes(content)
            paths.append(path)
        return ingest(paths, db=db, **options)


# Longest upload name kept: file systems refuse names over 255 bytes (a 300-character name was a
# traceback); 120 characters of a UTF-8 name stay under that.
MAX_NAME_CHARS = 120


def upload_name(name: str) -> str:
    """The browser's file name as a safe local name: no folders, no control or format characters
    (a right-to-left override makes "invoice[RLO]csv.exe" read "invoiceexe.vsc"), at most
    MAX_NAME_CHARS with its suffix kept."""
    plain = "".join(ch for ch in Path(name.replace("\\", "/")).name if ch.isprintable())
    stem, suffix = Path(plain).stem.strip(" ."), Path(plain).suffix[:10]
    return (stem[: MAX_NAME_CHARS - len(suffix)] or "upload") + (suffix or ".csv")


def check_references(con: duckdb.DuckDBPyConnection, build_id: str, reports: list) -> None:
    """The build-wide suite: references between tables, as warnings stored with this build."""
    outcome = validation.validate_build(con, marts.CHANGES if marts.recorded(con) else None)
    store_results(con, outcome.results, build_id, None, datetime.now(timezone.utc).replace(tzinfo=None))
    reports.extend(("warehouse", report) for report in outcome.reports)


def store_results(con, results: pd.DataFrame, build_id: str, source_file: str | None, validated_at, table=None) -> None:
    """One row per expectation run: what was checked, whether it passed, rows failing, a sample."""
    frame = results if table is None else results.assign(table_name=table)  # noqa: F841 (read by DuckDB)
    con.execute(
        """INSERT INTO validation_result (build_id, table_name, source_file, expectation, column_name,
                                          success, unexpected_count, sample, validated_at, action)
        SELECT ?, table_name, ?, expectation, column_name, success, unexpected_count, sample, ?, action
        FROM frame""",
        [build_id, source_file, validated_at],
    )


def _live_warehouse(db: Path) -> tuple[set[tuple[str, str]], list[str]]:
    """(file sha256, mapping sha256) of every load, so the same bytes read the same way again are a
    no-op; and what an earlier version left (columns, marts: ``warehouse.out_of_date``), so that
    even a run with nothing new builds once to bring it to this version."""
    if not db.exists():
        return set(), []
    with warehouse.connect_readonly(db) as con:
        upgrades = warehouse.out_of_date(con)
        if {"load_log.file_sha256", "load_log.mapping_sha256"} & set(upgrades):
            return set(), upgrades  # loaded before mappings were hashed: every file is read anew, once
        return set(con.execute("SELECT file_sha256, mapping_sha256 FROM load_log").fetchall()), upgrades


def _forced_layout(layouts: dict[str, Layout], name: str | None) -> Layout | None:
    if name:
        if name not in layouts:
            raise IngestError(f"unknown --format {name!r}; known layouts: {', '.join(sorted(layouts))}")
        return layouts[name]
    return None


def _layout_of(source: SourceFile, layouts: dict[str, Layout], given: list[Layout]) -> Layout:
    """The --mapping whose detect fits the file (the most specific), else the layout detection
    finds: a run may mix the files a mapping describes with exports the bundled layouts know."""
    fits = [located for layout in given if (located := adapters.locate_header(source, layout))]
    if fits:
        return max(fits, key=lambda lay: (len(lay.required), lay.header_rows))
    try:
        return adapters.detect_layout(source, layouts)
    except IngestError as exc:
        if not given:
            raise
        tried = "; ".join(f"{lay.path.name if lay.path else lay.name} needs {adapters.missing_required(source, lay)}"
                          for lay in given)
        raise IngestError(f"{source.path.name}: fits none of the mappings given with --mapping ({tried}), "
                          f"nor a bundled or saved layout.\n{exc}") from exc


def load_file(
    con: duckdb.DuckDBPyConnection, source: SourceFile, layout: Layout, progress: Progress,
    build_id: str | None = None, reports: list | None = None, loaded_by: str | None = None,
) -> FileResult:
    started = time.perf_counter()
    name = source.path.name
    result = FileResult(name, layout.name, layout.table)
    already = con.execute(
        "SELECT 1 FROM load_log WHERE file_sha256 = ? AND mapping_sha256 = ?", [source.sha256, layout.digest]
    ).fetchone()
    if already:
        result.skipped = True
        progress(result.summary())
        return result
    # Loaded before under another mapping: its rows are judged anew, so its old verdicts go.
    con.execute("DELETE FROM quarantine WHERE file_sha256 = ?", [source.sha256])
    con.execute("DELETE FROM unmapped_value WHERE file_sha256 = ?", [source.sha256])
    size_mb = source.path.stat().st_size / 1e6
    progress(f"{name}: reading as {layout.name} ({size_mb:,.1f} MB)")
    staged = stage_and_validate(con, source, layout, progress)
    header, layout, outcome, failed = staged.header, staged.layout, staged.outcome, staged.failed
    result.rows_in, result.footer_rows, result.duplicates = staged.rows_in, source.footer_rows, staged.duplicates
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    quarantine_rows(con, failed, header, source, layout, loaded_at)
    result.quarantined = len(failed)
    store_results(con, outcome.results, build_id, name, loaded_at, table=layout.table)
    if reports is not None:
        reports.extend((name, report) for report in outcome.reports)
    result.inserted, result.updated, result.unchanged = upsert(con, layout.table, source, loaded_at)
    result.unmapped = record_unmapped(con, source, layout)
    result.seconds = time.perf_counter() - started
    log_columns = ", ".join(warehouse.BOOKKEEPING_COLUMNS["load_log"])  # by name: an upgraded file's order differs
    con.execute(
        f"INSERT INTO load_log ({log_columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [name, source.sha256, layout.name, layout.table, loaded_at, result.rows_in, result.inserted,
         result.updated, result.unchanged, result.quarantined, result.seconds, layout.digest,
         len(result.duplicates), result.footer_rows, loaded_by],
    )
    con.execute("DROP TABLE land; DROP TABLE staged")
    assert result.reconciles(), result.summary()
    progress(result.summary())
    return result


@dataclass
class Staged:
    """A file landed, staged and validated in temp tables ``land`` and ``staged``, not yet loaded."""

    header: list[str]
    layout: Layout  # with patterns, number formats and date orders told from the values
    rows_in: int
    duplicates: dict  # row -> the earlier, identical row it repeats (dropped from ``staged``)
    outcome: validation.ValidationOutcome
    failed: pd.DataFrame  # source_row, reason: the rows the load quarantines


def stage_and_validate(con: duckdb.DuckDBPyConnection, source: SourceFile, layout: Layout,
                       progress: Progress = lambda message: None, keep_rows: int | None = None) -> Staged:
    """Everything a load does before it writes: land, stage, match, drop repeats, validate. The
    Data page's mapping preview calls it too (``keep_rows``: only the file's first rows), so the
    verdicts it shows are the load's own."""
    header = adapters.check_required(source, layout)
    rows_in = adapters.land(con, source, layout)
    if keep_rows is not None:
        con.execute("DELETE FROM land WHERE source_row NOT IN (SELECT source_row FROM land ORDER BY source_row LIMIT ?)",
                    [keep_rows])
    layout = adapters.resolve_patterns(con, source, layout, header)
    layout = adapters.resolve_number_formats(con, layout, header, source.path.name)
    layout = adapters.resolve_date_orders(con, layout, header, source.path.name)
    sql, params = adapters.staging_sql(layout, header)
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {sql}", params)
    if layout.table == "fct_survey_response":
        match_accounts_by_email(con)
    duplicates, conflicts = drop_repeated_rows(con, layout.table, len(header))
    progress(f"{source.path.name}: validating {rows_in:,} rows with Great Expectations")
    looked_up = frozenset(c.name for c in layout.columns if c.lookup)
    outcome = validation.validate(con, "staged", layout.table, looked_up)
    failed = with_file_reasons(outcome.failed_rows, source.damaged, conflicts, layout.table)
    return Staged(header, layout, rows_in, duplicates, outcome, failed)


def drop_repeated_rows(con: duckdb.DuckDBPyConnection, table: str, width: int) -> tuple[dict, dict]:
    """Rows that share a key: identical ones (every cell as exported) are one record repeated, kept
    once, the others dropped from ``staged`` and returned as {row: the first row}; rows that differ
    are a conflict neither can win, returned as {row: all rows of that key} for the quarantine.
    Only rows whose key repeats are compared, so a file of unique keys costs one GROUP BY."""
    key = warehouse.NATURAL_KEYS[table]
    cells = ", ".join(f"l.c{i}" for i in range(width))
    rows = con.execute(
        f"""SELECT l.source_row, min(l.source_row) OVER (PARTITION BY s.{key}, {cells}) AS first_row
        FROM land AS l JOIN staged AS s ON s.source_row = l.source_row
        WHERE s.{key} IN (SELECT {key} FROM staged WHERE {key} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
        ORDER BY l.source_row"""
    ).fetchall()
    if not rows:
        return {}, {}
    duplicates = {row: first for row, first in rows if row != first}
    if duplicates:
        repeated = pd.DataFrame({"source_row": list(duplicates)})  # noqa: F841 (read by DuckDB)
        con.execute("DELETE FROM staged WHERE source_row IN (SELECT source_row FROM repeated)")
    groups = con.execute(
        f"""SELECT list(source_row ORDER BY source_row) FROM staged
        WHERE {key} IN (SELECT {key} FROM staged WHERE {key} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
        GROUP BY {key}"""
    ).fetchall()
    conflicts = {row: group for (group,) in groups for row in group}
    return duplicates, conflicts


def with_file_reasons(failed: pd.DataFrame, damaged: dict, conflicts: dict, table: str) -> pd.DataFrame:
    """The validation's failing rows, with what only the file knows: a row the file broke (NUL
    bytes, an unclosed quote) gets that reason alone; a key conflict names the rows that share it."""
    key = warehouse.NATURAL_KEYS[table]
    generic = f"duplicate {key} in this file"
    reasons = dict(zip(failed["source_row"], failed["reason"]))
    for row, group in conflicts.items():
        named = f"{generic}: rows {', '.join(map(str, group))}"
        reasons[row] = reasons[row].replace(generic, named) if row in reasons else named
    reasons.update(damaged)
    return pd.DataFrame({"source_row": list(reasons), "reason": list(reasons.values())},
                        columns=["source_row", "reason"]).sort_values("source_row", ignore_index=True)


def quarantine_rows(con, failed: pd.DataFrame, header: list[str], source: SourceFile, layout: Layout, loaded_at) -> None:
    """Store failing rows with their reasons and the record as the file had it, under its own column names."""
    if failed.empty:
        return
    failed_rows = failed  # noqa: F841  (read by DuckDB's replacement scan)
    raw = con.execute(
        "SELECT l.* FROM land AS l JOIN failed_rows AS f ON f.source_row = l.source_row ORDER BY l.source_row"
    ).df()
    names = {f"c{i}": column for i, column in enumerate(header)}
    records = raw.drop(columns="source_row").rename(columns=names).to_dict("records")
    reasons = failed.set_index("source_row")["reason"]
    rows = pd.DataFrame(  # noqa: F841
        {
            "table_name": layout.table,
            "layout": layout.name,
            "source_file": source.path.name,
            "file_sha256": source.sha256,
            "source_row": raw["source_row"].astype("int32"),
            "reason": reasons.loc[raw["source_row"]].to_numpy(),
            "record": [json.dumps({k: v for k, v in r.items() if isinstance(v, str)}, ensure_ascii=False) for r in records],
            "loaded_at": loaded_at,
        }
    )
    con.execute("INSERT INTO quarantine SELECT * FROM rows")


def match_accounts_by_email(con: duckdb.DuckDBPyConnection) -> None:
    """Responses with only an email get an account: the CRM contact's with that exact email
    first (a consultant's gmail, a parent company's domain), else the account whose website has
    the email's domain; an answer about a project, that project's account. Answers matched by
    none are quarantined as "no matching account"."""
    con.execute(
        """UPDATE staged SET account_id = p.account_id FROM fct_project AS p
        WHERE staged.account_id IS NULL AND staged.project_id = p.project_id AND p.account_id IS NOT NULL"""
    )
    con.execute(
        """UPDATE staged SET account_id = m.account_id
        FROM (
          SELECT lower(email) AS email, min(account_id) AS account_id
          FROM dim_contact WHERE email IS NOT NULL AND account_id IS NOT NULL GROUP BY 1
        ) AS m
        WHERE staged.account_id IS NULL AND lower(staged.contact) = m.email"""
    )
    con.execute(
        """UPDATE staged SET account_id = m.account_id
        FROM (
          SELECT lower(regexp_replace(website, '^(https?://)?(www\\.)?([^/]+).*$', '\\3')) AS domain,
                 min(account_id) AS account_id
          FROM dim_account WHERE website IS NOT NULL GROUP BY 1
        ) AS m
        WHERE staged.account_id IS NULL
          AND lower(split_part(staged.contact, '@', 2)) = m.domain"""
    )


def upsert(con: duckdb.DuckDBPyConnection, table: str, source: SourceFile, loaded_at) -> tuple[int, int, int]:
    """Insert new keys, replace changed rows, leave identical rows alone; return the three counts.

    Only rows whose key the table already holds are copied aside (``held``) and compared, and only
    with those keys' rows; the others go from ``staged`` into the table once. A first load is a
    plain insert, a small export into a large table reads little of it.
    """
    columns = list(warehouse.CANONICAL_COLUMNS[table])
    key = warehouse.NATURAL_KEYS[table]
    staged_columns = {row[0] for row in con.execute("DESCRIBE staged").fetchall()}
    select = ", ".join(c if c in staged_columns else f"NULL AS {c}" for c in columns)
    loading = "FROM staged WHERE source_row NOT IN (SELECT source_row FROM quarantine WHERE file_sha256 = ?)"
    rows = f"SELECT {select}, ? AS source_file, ? AS file_sha256, source_row, ? AS loaded_at {loading}"
    params = [source.path.name, source.sha256, loaded_at, source.sha256]
    con.execute(f"CREATE OR REPLACE TEMP TABLE held AS {rows} AND {key} IN (SELECT {key} FROM {table})", params)
    col_list = ", ".join(columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE changed AS
        SELECT {col_list} FROM held
        EXCEPT SELECT {col_list} FROM {table} WHERE {key} IN (SELECT {key} FROM held)"""
    )
    total, held, updated = con.execute(
        f"""SELECT (SELECT count(*) {loading}), (SELECT count(*) FROM held), (SELECT count(*) FROM changed)""",
        [source.sha256],
    ).fetchone()
    new = f"SELECT * FROM ({rows}) WHERE {key} NOT IN (SELECT {key} FROM held)"
    # The rows replaced (with their account as held and as new) and inserted: the marts refresh theirs.
    marts.record_change(con, table, f"""SELECT {key}, account_id FROM {table} WHERE {key} IN (SELECT {key} FROM changed)
                                        UNION ALL SELECT {key}, account_id FROM held WHERE {key} IN (SELECT {key} FROM changed)
                                        UNION ALL SELECT {key}, account_id FROM ({new})""", params)
    if updated:
        con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM changed)")
    # By name: a column an upgrade added sits at the end of an older file's table (create_schema).
    every = ", ".join([*columns, *warehouse.LINEAGE_COLUMNS])
    con.execute(f"INSERT INTO {table} ({every}) SELECT {every} FROM held WHERE {key} IN (SELECT {key} FROM changed)")
    con.execute(f"INSERT INTO {table} ({every}) SELECT {every} FROM ({new})", params)
    con.execute("DROP TABLE held; DROP TABLE changed")
    return total - held, updated, held - updated


def record_unmapped(con: duckdb.DuckDBPyConnection, source: SourceFile, layout: Layout) -> dict:
    """Vendor values missing from a value map: counted and stored, never silently re-labelled."""
    found: dict[str, dict[str, int]] = {}
    for col in layout.columns:
        if col.value_map is None or col.default is not None:
            continue
        rows = con.execute(
            f"""SELECT raw_{col.name}, count(*) FROM staged
            WHERE raw_{col.name} IS NOT NULL AND {col.name} IS NULL GROUP BY 1 ORDER BY 2 DESC""",
        ).fetchall()
        if rows:
            found[col.name] = dict(rows)
            con.executemany(
                "INSERT INTO unmapped_value VALUES (?, ?, ?, ?, ?, ?)",
                [[source.path.name, source.sha256, layout.name, col.name, value, n] for value, n in rows],
            )
    return found
