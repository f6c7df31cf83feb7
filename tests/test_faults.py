"""Faults: ``kill -9`` of a real ``python -m pipelines ingest`` at several points, and two ingests
at once. The previous warehouse must stay byte-identical and open, and the next ingest work."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import warehouse
from pipelines.ingest import ingest
from tests.conftest import ROOT

# Small demo world: the kill tests run several real ingests; this keeps each a few seconds.
DEMO_SCALE = 0.5
# Loaded by the ingest under test; the rest of the demo world is in the warehouse before.
NEW_FILES = ("qualtrics_nps.csv", "surveymonkey_csat.csv")
# Where a killed ingest stands when it prints these (pipelines/ingest.py progress lines):
# landing a file, validating it (GX), and building the marts just before the swap.
KILL_POINTS = ("reading as", "validating", "building marts")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Demo exports, and a warehouse of all of them but the survey files."""
    from pipelines.demo import write_demo

    folder = tmp_path_factory.mktemp("faults")
    exports = folder / "exports"
    write_demo(exports, scale=DEMO_SCALE)
    base = folder / "base.duckdb"
    ingest([p for p in sorted(exports.iterdir()) if p.name not in NEW_FILES], db=base, data_docs=False)
    return exports, base


@pytest.fixture
def db(world, tmp_path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(world[1], target)
    return target


def start_ingest(exports: Path, db: Path, paths: list[Path] | None = None) -> subprocess.Popen:
    paths = paths or [exports / name for name in NEW_FILES]
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "pipelines", "ingest", *map(str, paths), "--db", str(db)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "WINWIN_LOCK_WAIT": "0.5"},
    )


def read_until(process: subprocess.Popen, marker: str) -> list[str]:
    lines = []
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"ingest ended before {marker!r}: {lines} {process.stderr.read()}")


def accounts_with_new_bytes(exports: Path, folder: Path) -> Path:
    """The accounts export with a blank line more: a file not loaded yet (same rows)."""
    changed = folder / "accounts_renamed.csv"
    changed.write_text((exports / "salesforce_accounts.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    return changed


def survey_rows(db: Path) -> int:
    with warehouse.connect_readonly(db) as con:
        return con.execute("SELECT count(*) FROM fct_survey_response").fetchone()[0]


@pytest.mark.parametrize("marker", KILL_POINTS)
def test_kill_9_during_ingest_leaves_the_previous_warehouse_and_the_next_ingest_works(world, db, marker):
    exports, _ = world
    before = digest(db)
    process = start_ingest(exports, db)
    read_until(process, marker)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert digest(db) == before
    assert survey_rows(db) == 0  # it still opens, as the build before
    results = ingest([exports / name for name in NEW_FILES], db=db, data_docs=False)
    assert all(r.reconciles() and r.inserted > 0 for r in results)
    assert survey_rows(db) == sum(r.inserted for r in results)
    assert not list(db.parent.glob(f".{db.name}.building-*"))  # the killed build's copy is swept


def test_a_second_ingest_during_the_first_fails_clearly_and_changes_nothing(world, db):
    exports, _ = world
    changed = accounts_with_new_bytes(exports, db.parent)
    first = start_ingest(exports, db)
    read_until(first, "validating")  # it holds the writer lock from here to its swap
    before = digest(db)
    with pytest.raises(warehouse.WarehouseBusy, match="another ingest is writing this warehouse"):
        ingest([changed], db=db, lock_wait=0.2)
    assert digest(db) == before
    first.send_signal(signal.SIGKILL)  # (whether the first one completes is the other tests' business)
    first.wait()


def test_a_second_ingest_waits_for_the_first_and_both_land(world, db):
    exports, _ = world
    changed = accounts_with_new_bytes(exports, db.parent)
    first = start_ingest(exports, db)
    read_until(first, "validating")
    second = ingest([changed], db=db, lock_wait=120, data_docs=False)  # blocks until the first swaps
    first.communicate()
    assert first.returncode == 0 and second[0].rows_in > 0
    with warehouse.connect_readonly(db) as con:
        files = {name for (name,) in con.execute("SELECT file_name FROM load_log").fetchall()}
    assert {*NEW_FILES, "accounts_renamed.csv"} <= files
    assert survey_rows(db) > 0


def test_a_second_ingest_process_reports_the_lock_and_exits_2(world, db):
    exports, _ = world
    with warehouse.writer_lock(db):
        process = start_ingest(exports, db)  # waits WINWIN_LOCK_WAIT = 0.5 s
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    assert "another ingest is writing this warehouse" in stderr and "Try again" in stderr


def test_kill_9_during_a_marts_refresh_leaves_the_previous_warehouse_and_the_next_load_refreshes(world, db):
    """The refresh of a survey load (marts.refresh: the touched accounts' rows, in the build's copy)
    killed: the warehouse is the build before, and the load done again lands in full."""
    from benchmarks.incremental import write_new_survey_file
    from pipelines import marts

    exports, _ = world
    ingest([exports / "qualtrics_nps.csv"], db=db, data_docs=False)  # marts built by this version's SQL
    new_answers = write_new_survey_file(exports, db.parent / "new_answers.csv", rows=300)  # new ids, same dates
    before, rows = digest(db), survey_rows(db)
    process = start_ingest(exports, db, [new_answers])
    read_until(process, "refreshing the rows of the")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert digest(db) == before
    assert survey_rows(db) == rows
    said = []
    result, = ingest([new_answers], db=db, data_docs=False, progress=said.append)
    assert any("refreshing the rows of the" in line for line in said)
    assert result.reconciles() and result.inserted > 250  # the demo's export holds a few rows it quarantines
    assert survey_rows(db) == rows + result.inserted
    with warehouse.connect_readonly(db) as con:
        for name in marts.MART_ORDER:
            sql = marts.sql_of(name)
            assert con.execute(f"""SELECT count(*) FROM ((SELECT * FROM {name} EXCEPT ALL SELECT * FROM ({sql}))
                                   UNION ALL (SELECT * FROM ({sql}) EXCEPT ALL SELECT * FROM {name}))""").fetchone()[0] == 0, name
    assert not list(db.parent.glob(f".{db.name}.building-*"))
