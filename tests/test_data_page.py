"""The Data page renders in AppTest: tables, files loaded, quarantine with its reasons."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import run_app


def open_data_page(monkeypatch, db, query_params: dict | None = None) -> AppTest:
    at = run_app(monkeypatch, db, query_params)
    at.switch_page("pages/data.py")
    return at.run()


def test_data_page_shows_files_and_quarantine_with_reasons(monkeypatch, world_db):
    at = open_data_page(monkeypatch, world_db)
    assert not at.exception
    tables = at.dataframe[0].value.set_index("table")["rows"]
    assert tables["fct_opportunity"] == 7 and tables["dim_account"] == 3
    assert len(at.dataframe[1].value) == 7  # the seven files of the fixture world
    reasons = at.dataframe[2].value.set_index("reason")["rows"]
    assert reasons.to_dict() == {"no matching account": 1, "missing close_date; unreadable close_date": 1,
                                 "csat score outside 1-5": 1}
    assert len(at.dataframe[3].value) == 3 and "Download these 3 rows" in at.get("download_button")[0].proto.label


def test_data_page_filters_the_quarantine_by_reason_from_the_url(monkeypatch, world_db):
    at = open_data_page(monkeypatch, world_db, {"reason": "no matching account"})
    assert not at.exception
    rows = at.dataframe[3].value
    assert rows[["source_file", "source_row"]].values.tolist() == [["qualtrics_nps.csv", 7]]


def test_data_page_on_an_empty_warehouse(monkeypatch, empty_db):
    at = open_data_page(monkeypatch, empty_db)
    assert not at.exception
    assert "No file loaded yet" in at.info[0].value and at.success[0].value == "No row was quarantined."


def test_data_page_without_a_warehouse_says_how_to_load(monkeypatch, tmp_path):
    at = open_data_page(monkeypatch, tmp_path / "none.duckdb")
    assert not at.exception and "python -m pipelines ingest" in at.info[0].value
