"""Re-business & margin renders on the demo and empty warehouses; figures by hand on the fixture."""

from __future__ import annotations

import pytest

from tests.test_pages import bars, metrics_shown, open_page

PAGE = "pages/rebusiness.py"



def test_renders_on_the_demo_with_every_rep(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, PAGE)
    assert not at.exception
    assert len(bars(at, "Budget variance of the projects each rep sold")) >= 4


def test_rebusiness_margin_against_first_time_by_hand(monkeypatch, world_db):
    # completed projects all time: re-business P2 46%; first-time P1 30%, P3 25%, P4 30% -> mean 28.33%
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time"})
    margin = bars(at, "Delivered margin per project")
    assert margin["re-business"][0] == pytest.approx(0.46)
    assert margin["first-time business"][0] == pytest.approx(0.85 / 3)
    assert metrics_shown(at)["Re-business rate"] == "31.0%"


def test_a_region_filter_changes_the_figures(monkeypatch, world_db):
    # North America = Beta: OPP003 80k won, no re-business
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time", "region": "North America"})
    shown = metrics_shown(at)
    assert (shown["Won amount"], shown["Re-business rate"]) == ("USD 80.0k", "0.0%")


def test_sales_governance_per_team_from_the_url(monkeypatch, world_db):
    # Sam Seller (Enterprise East): a status report; Rita Rep (Mid-market): a joint workshop
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time", "governance_by": "team"})
    assert not at.exception
    table = next(frame.value for frame in at.dataframe if "Sales team" in frame.value.columns).set_index("Sales team")
    assert table.loc["Enterprise East", "Status reports"] == 1
    assert table.loc["Mid-market", "Joint engagements"] == 1


def test_won_amount_over_two_currencies_says_both_and_that_they_are_not_converted(monkeypatch, tmp_path):
    # tests/fixtures/currencies: USD 100k + 50k and EUR 40k won -> 190k, shown with both codes
    from pathlib import Path

    from pipelines.ingest import ingest

    db = tmp_path / "warehouse.duckdb"
    ingest([Path(__file__).parent / "fixtures" / "currencies"], db=db)
    at = open_page(monkeypatch, db, PAGE, {"period": "All time"})
    assert not at.exception
    assert metrics_shown(at)["Won amount"] == "EUR+USD 190.0k"
    assert any("several currencies (EUR, USD)" in caption.value for caption in at.caption)
