"""A warehouse an earlier version built opens on this version's marts.

An upgrade that added only missing columns left an earlier version's marts in place: a page then
failed on a mart the old build lacked (`mart_project_answer`: "Table ... does not exist") or read
an earlier shape of one (`mart_account_facts` before NPS and CSAT stood side by side).
"""

from __future__ import annotations

import shutil

import duckdb

from pipelines import marts, warehouse
from tests.conftest import run_app
from tests.test_pages import open_page


def as_an_earlier_version_built_it(world_db, tmp_path):
    """A copy of the world warehouse with one mart missing and one in another shape."""
    old = tmp_path / "old.duckdb"
    shutil.copy(world_db, old)
    with duckdb.connect(str(old)) as con:
        con.execute("DROP TABLE mart_project_answer")
        con.execute("CREATE OR REPLACE TABLE mart_account_facts AS SELECT account_id FROM dim_account")
    return old


def test_the_marts_an_earlier_version_built_are_named_out_of_date(world_db, tmp_path):
    with warehouse.connect_readonly(world_db) as con:
        assert warehouse.out_of_date(con) == []
    with warehouse.connect_readonly(as_an_earlier_version_built_it(world_db, tmp_path)) as con:
        assert warehouse.out_of_date(con) == ["mart_account_facts", "mart_project_answer"]


def test_the_app_rebuilds_an_earlier_versions_marts_before_a_page_reads_them(monkeypatch, world_db, tmp_path):
    old = as_an_earlier_version_built_it(world_db, tmp_path)
    at = run_app(monkeypatch, old, {"period": "All time"})
    assert not at.exception
    assert "Warehouse upgraded" in [status.label for status in at.status]
    accounts = open_page(monkeypatch, old, "pages/accounts.py", {"period": "All time"})
    assert not accounts.exception
    with warehouse.connect_readonly(old) as con:
        assert warehouse.out_of_date(con) == []
        assert con.execute("SELECT count(*) FROM mart_account_facts").fetchone()[0] > 0


def test_marts_read_as_views_are_left_to_their_builder(tmp_path):
    # A lakehouse catalog (WINWIN_MARTS) reads Spark-built marts through views: never rebuilt here.
    catalog = tmp_path / "catalog.duckdb"
    with duckdb.connect(str(catalog)) as con:
        for name in marts.MART_ORDER:
            con.execute(f"CREATE VIEW {name} AS SELECT 1 AS one")
        assert marts.outdated(con) == []


def test_an_ingest_with_nothing_new_still_rebuilds_an_earlier_versions_marts(world_db, tmp_path):
    from pipelines.ingest import ingest
    from tests.conftest import WORLD

    old = as_an_earlier_version_built_it(world_db, tmp_path)
    results = ingest([WORLD], db=old, data_docs=False)
    assert all(result.skipped for result in results)  # every file was loaded before
    with warehouse.connect_readonly(old) as con:
        assert warehouse.out_of_date(con) == []
