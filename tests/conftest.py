"""Shared fixtures: a warehouse of the hand-made fixture world and one of the demo world."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("WINWIN_DEMO", "0")  # tests never build a demo behind our back

from pipelines import warehouse  # noqa: E402
from pipelines.ingest import ingest  # noqa: E402

WORLD = ROOT / "tests" / "fixtures" / "world"


@pytest.fixture(scope="session")
def world_db(tmp_path_factory) -> Path:
    """The fixture world of tests/fixtures/world, whose figures are computed by hand in test_metrics."""
    db = tmp_path_factory.mktemp("world") / "warehouse.duckdb"
    ingest([WORLD], db=db)
    return db


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo world at scale 1, built the way a user builds it."""
    from pipelines.demo import write_demo

    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder / "exports", scale=1)
    db = folder / "warehouse.duckdb"
    ingest([folder / "exports"], db=db)
    return db


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory) -> Path:
    """A warehouse with its schema and no rows: what a user has before the first ingest."""
    db = tmp_path_factory.mktemp("empty") / "warehouse.duckdb"
    with warehouse.build(db):
        pass
    return db


@pytest.fixture(autouse=True)
def no_currencies_from_an_earlier_test():
    """Each test starts as a fresh process does: no warehouse's currencies said yet. (A page or
    report says them per thread, and pytest runs every test in one: an earlier test's USD
    otherwise labels the next test's money.)"""
    import importlib

    importlib.import_module("pipelines.reporting.formats").use_currencies(())
    yield
    importlib.import_module("pipelines.reporting.formats").use_currencies(())  # a test may reload it


@pytest.fixture
def reader():
    """Open a read-only connection to a warehouse, closed after the test."""
    opened = []

    def open_(db: Path):
        con = warehouse.connect_readonly(db)
        opened.append(con)
        return con

    yield open_
    for con in opened:
        con.close()


def run_app(monkeypatch, db, query_params: dict | None = None) -> AppTest:
    """Run app.py in AppTest on the warehouse ``db`` with the URL query parameters given."""
    monkeypatch.setenv("WINWIN_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    return at.run()
