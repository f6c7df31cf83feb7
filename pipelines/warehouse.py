"""The DuckDB warehouse file: its schema, the one writer, and read-only access for the app.

Why a copy-and-swap build: DuckDB lets one process write a file or many read it, never both.
The app keeps reading ``warehouse.duckdb`` while an ingest writes a private copy; only a
complete, validated build replaces it, by an atomic rename. A failed or killed ingest leaves
its copy behind (swept up by the next build) and the live file untouched.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb

from pipelines import limits, marts, snapshots
from pipelines.errors import IngestError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "warehouse.duckdb"
MODELS_DIR = Path(__file__).parent / "models"

# Seconds a second writer waits for the first before giving up with a clear message: long
# enough for a scale-400 ingest (about 140 s, README); WINWIN_LOCK_WAIT overrides it.
LOCK_WAIT_SECONDS = float(os.environ.get("WINWIN_LOCK_WAIT", 600))

LINEAGE_COLUMNS = {
    "source_file": "VARCHAR",
    "file_sha256": "VARCHAR",
    "source_row": "INTEGER",
    "loaded_at": "TIMESTAMP",
}

# The canonical model of DOMAIN.md: every adapter maps to these columns and types.
CANONICAL_COLUMNS: dict[str, dict[str, str]] = {
    "dim_account": {
        "account_id": "VARCHAR", "account_name": "VARCHAR", "segment": "VARCHAR",
        "region": "VARCHAR", "owner": "VARCHAR", "website": "VARCHAR",
    },
    # CRM contacts: how a survey answer that carries only an e-mail finds its account.
    "dim_contact": {
        "contact_id": "VARCHAR", "account_id": "VARCHAR", "email": "VARCHAR", "name": "VARCHAR",
    },
    "fct_opportunity": {
        "opportunity_id": "VARCHAR", "account_id": "VARCHAR", "owner": "VARCHAR",
        "sales_team": "VARCHAR",  # the owner's team (a Salesforce role, a HubSpot team); optional
        "stage": "VARCHAR", "is_won": "BOOLEAN", "is_closed": "BOOLEAN",
        "created_date": "DATE", "close_date": "DATE", "amount": "DECIMAL(18,2)",
        "lead_source": "VARCHAR", "referred_by": "VARCHAR", "deal_type": "VARCHAR",
        "deal_reference": "VARCHAR",  # the deal's own number other systems quote; optional
        "currency": "VARCHAR",  # ISO 4217 code of amount, from the export; NULL: not given (WINWIN_CURRENCY)
    },
    "fct_project": {
        "project_id": "VARCHAR", "opportunity_id": "VARCHAR", "account_id": "VARCHAR",
        "delivery_team": "VARCHAR", "delivery_manager": "VARCHAR", "start_date": "DATE",
        "planned_end_date": "DATE", "actual_end_date": "DATE", "budget_cost": "DECIMAL(18,2)",
        "actual_cost": "DECIMAL(18,2)", "revenue": "DECIMAL(18,2)",
        "currency": "VARCHAR",  # ISO 4217 code of the costs and revenue; NULL: not given (WINWIN_CURRENCY)
    },
    "fct_escalation": {
        "escalation_id": "VARCHAR", "account_id": "VARCHAR", "project_id": "VARCHAR",
        "opened_at": "TIMESTAMP", "resolved_at": "TIMESTAMP", "severity": "VARCHAR",
        "sales_involved": "BOOLEAN", "category": "VARCHAR",
    },
    "fct_activity": {
        "activity_id": "VARCHAR", "account_id": "VARCHAR", "activity_date": "DATE",
        "activity_type": "VARCHAR", "sales_participant": "VARCHAR",
        "delivery_participant": "VARCHAR",
    },
    "fct_survey_response": {
        "response_id": "VARCHAR", "account_id": "VARCHAR", "contact": "VARCHAR",
        "responded_at": "TIMESTAMP", "survey_type": "VARCHAR", "score": "INTEGER",
        "comment": "VARCHAR",
        "project_id": "VARCHAR",  # the project the answer is about, when the survey carries it; optional
    },
}
NATURAL_KEYS = {table: next(iter(columns)) for table, columns in CANONICAL_COLUMNS.items()}
# The vocabularies of DOMAIN.md: a mapping's value map or constant must land on one of these.
CANONICAL_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("fct_opportunity", "lead_source"): ("delivery", "marketing", "sales", "partner", "customer_referral", "other"),
    ("fct_activity", "activity_type"): ("status_report", "sales_meeting", "joint_engagement", "qbr"),
    ("fct_survey_response", "survey_type"): ("nps", "csat"),
    # The escalation severities the bundled Jira and Zendesk mappings map their priorities onto.
    ("fct_escalation", "severity"): ("critical", "high", "medium", "low"),
}
# Load order: accounts first (deals, contacts and tickets may name their account), then contacts,
# so survey e-mails can be matched to the contacts and accounts loaded in the same run.
TABLE_ORDER = list(CANONICAL_COLUMNS)

# The warehouse's own records: what was loaded, quarantined, left unmapped, checked, built.
# A column added here later goes at the end of its table: an older file gains it at the end
# (create_schema), so both agree with the positional INSERTs that fill these tables.
BOOKKEEPING_COLUMNS: dict[str, dict[str, str]] = {
    "load_log": {
        "file_name": "VARCHAR", "file_sha256": "VARCHAR", "layout": "VARCHAR", "table_name": "VARCHAR",
        "loaded_at": "TIMESTAMP", "rows_in": "BIGINT", "rows_inserted": "BIGINT", "rows_updated": "BIGINT",
        "rows_unchanged": "BIGINT", "rows_quarantined": "BIGINT", "seconds": "DOUBLE", "mapping_sha256": "VARCHAR",
        # identical repeated rows kept once; report footer lines skipped (not counted in rows_in)
        "rows_duplicate": "BIGINT", "rows_footer": "BIGINT",
        "loaded_by": "VARCHAR",  # who: the signed-in user of the Data page, the OS user of the CLI
    },
    "quarantine": {
        "table_name": "VARCHAR", "layout": "VARCHAR", "source_file": "VARCHAR", "file_sha256": "VARCHAR",
        "source_row": "INTEGER", "reason": "VARCHAR", "record": "VARCHAR", "loaded_at": "TIMESTAMP",
    },
    "unmapped_value": {
        "source_file": "VARCHAR", "file_sha256": "VARCHAR", "layout": "VARCHAR", "column_name": "VARCHAR",
        "value": "VARCHAR", "rows": "BIGINT",
    },
    "validation_result": {
        "build_id": "VARCHAR", "table_name": "VARCHAR", "source_file": "VARCHAR", "expectation": "VARCHAR",
        "column_name": "VARCHAR", "success": "BOOLEAN", "unexpected_count": "BIGINT", "sample": "VARCHAR",
        "validated_at": "TIMESTAMP", "action": "VARCHAR",
    },
    "build_info": {"build_id": "VARCHAR", "built_at": "TIMESTAMP", "data_date": "DATE"},
    snapshots.TABLE: snapshots.COLUMNS,  # every build's account health, kept across builds
}


class WarehouseBusy(Exception):
    """Another ingest holds the writer lock."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    """``--db`` wins, then ``WINWIN_MARTS`` (a folder of marts Spark built: read through the DuckDB
    catalog of views pipelines/lakehouse.py keeps there), then ``WINWIN_DB``, then ``data/warehouse.duckdb``."""
    if not path and os.environ.get("WINWIN_MARTS"):
        from pipelines import lakehouse

        return lakehouse.catalog(Path(os.environ["WINWIN_MARTS"]))
    return Path(path or os.environ.get("WINWIN_DB") or DEFAULT_DB).resolve()


def schema() -> dict[str, dict[str, str]]:
    """Every table this version writes, with its columns and types in order."""
    canonical = {table: columns | LINEAGE_COLUMNS for table, columns in CANONICAL_COLUMNS.items()}
    return canonical | BOOKKEEPING_COLUMNS


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables, or upgrade a file built by an earlier version: the columns it lacks are
    added, NULL in its old rows. ``build`` runs this in its private copy, so a failed upgrade
    never reaches the live file."""
    for table, columns in schema().items():
        cols = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    for table, name in missing_columns(con):
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {schema()[table][name]}")


def missing_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(table, column) of every column this version writes that the open warehouse lacks."""
    present = set(
        con.execute(
            """SELECT table_name, column_name FROM information_schema.columns
            WHERE table_catalog = current_database()"""
        ).fetchall()
    )
    return [(table, name) for table, columns in schema().items() for name in columns if (table, name) not in present]


@contextlib.contextmanager
def writer_lock(db: Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """One ingest at a time: a second one waits, then fails with a message saying why."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".lock"), "a+") as lock_file:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"{db}: another ingest is writing this warehouse; waited {wait_seconds:.0f} s. "
                        "Try again when it has finished."
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


@contextlib.contextmanager
def build(
    db: Path, lock_wait: float = LOCK_WAIT_SECONDS, build_id: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a private copy of the warehouse for writing; swap it in only if the block succeeds.

    On success the marts are rebuilt and the build stamped (with ``build_id``, which the
    caller may have written into validation results already) before the swap, so every build
    the app can open is complete.
    """
    with writer_lock(db, lock_wait):
        for stale in db.parent.glob(f".{db.name}.building-*"):  # left by a killed ingest
            stale.unlink(missing_ok=True)
        work = db.with_name(f".{db.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        con, written_back = None, None
        try:
            if db.exists():
                shutil.copyfile(db, work)
                written_back = _write_back(work)
            con = connect_for_build(work)
            create_schema(con)
            yield con
            built_at = datetime.now(timezone.utc).replace(tzinfo=None)
            con.execute("DELETE FROM build_info")
            marts.build(con)
            con.execute(
                "INSERT INTO build_info SELECT ?, ?, data_date FROM mart_data_date",
                [build_id or uuid.uuid4().hex, built_at],
            )
            snapshots.record(con)
            con.execute("CHECKPOINT")
            con.close()
            if written_back:
                written_back.join()
            _fsync(work)
            os.replace(work, db)
            _fsync(db.parent)
        except BaseException as exc:
            if con is not None:
                con.close()
            work.unlink(missing_ok=True)
            Path(str(work) + ".wal").unlink(missing_ok=True)
            if _disk_full(exc):
                raise IngestError(f"{db.parent}: the disk is full (a build needs room for a copy of the "
                                  f"{db.stat().st_size / 1e6 if db.exists() else 0:,.1f} MB warehouse and the new "
                                  "rows); nothing was changed. Free some space and load again.") from exc
            raise


def _disk_full(exc: BaseException) -> bool:
    """Python's and DuckDB's ways of saying the disk is full."""
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or (
        isinstance(exc, duckdb.Error) and "No space left on device" in str(exc))


def out_of_date(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What this version would change in a warehouse an earlier version built: its missing columns
    (``table.column``) and the marts it lacks or built by other SQL; empty when it is current."""
    return [f"{table}.{column}" for table, column in missing_columns(con)] + marts.outdated(con)


def connect_for_build(path: Path) -> duckdb.DuckDBPyConnection:
    """A writing connection as a build opens its private copy (``build``; the benchmark's mart
    timings too). DuckDB keeps half the ceiling in memory and spills the rest to disk beside the
    file. Its own progress bar stays off: the ingest reports each step itself, and the bar's
    redrawn lines filled the terminal and the app server's log during a long build."""
    con = duckdb.connect(str(path), config={"memory_limit": f"{limits.MEMORY_LIMIT_MB // 2}MB"})
    con.execute("SET enable_progress_bar = false")
    return con


def upgrade(db: Path, lock_wait: float = LOCK_WAIT_SECONDS) -> list[str]:
    """Bring a warehouse an earlier version built to this version, in one copy-and-swap build that
    reads no file: its new columns added (NULL until their file is loaded again) and its marts
    rebuilt by this version's SQL; returns what changed (nothing: the file is left as it is)."""
    with connect_readonly(db) as con:
        changes = out_of_date(con)
    if changes:
        with build(db, lock_wait):
            pass
    return changes


def _write_back(path: Path) -> threading.Thread:
    """Start writing ``path``'s pages to disk while the load works on it. A fresh copy of the
    warehouse is all dirty pages, and the first fsync after it (the checkpoint's) waited for every
    one of them: 0.45 s for the 1.1 GB file at scale 400, after the load's own work. An error is
    left to the fsync before the swap, which still makes the build durable."""
    def write() -> None:
        with contextlib.suppress(OSError):
            _fsync(path)

    thread = threading.Thread(target=write, name="write-back", daemon=True)
    thread.start()
    return thread


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def docs_dir(db: Path) -> Path:
    """Where a warehouse's GX Data Docs go: ``data/gx_docs/warehouse/`` for the default one."""
    return db.parent / "gx_docs" / db.stem


def build_key(db: Path) -> tuple[int, int] | None:
    """Changes whenever a new build is swapped in; cheap enough to check on every page run."""
    try:
        stat = db.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


def connect_readonly(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the build that is current now (the app and CLI readers use this).

    The file is ATTACHed to an in-memory database rather than opened with ``connect(path)``:
    DuckDB caches instances by path, so a long-lived process would otherwise be handed the old,
    already replaced build. Take cursors with ``reader_cursor``.
    """
    con = duckdb.connect(":memory:")
    con.execute("ATTACH ? AS warehouse (READ_ONLY)", [str(db)])
    con.execute("USE warehouse")
    return con


def reader_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor for one query (a DuckDB connection is not thread-safe; cursors are)."""
    cursor = con.cursor()
    cursor.execute("USE warehouse")
    return cursor
