"""Accounts renders on the demo and empty warehouses; an account's page tells its story in order."""

from __future__ import annotations

import json

import pandas as pd

from pipelines.reporting import tables
from tests.test_pages import metrics_shown, open_page
from ui import exports

PAGE = "pages/accounts.py"



def test_lists_every_demo_account_with_its_health(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, PAGE)
    assert not at.exception
    listed = at.dataframe[0].value
    assert metrics_shown(at)["Accounts"] == f"{len(listed):,}"
    assert listed["Health"].between(0, 100).all()
    assert listed["Health"].is_monotonic_increasing  # lowest health first


def test_the_list_shows_what_a_team_lead_scans_and_fits_a_1440_px_screen(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, PAGE, {"period": "All time"})
    listed = at.dataframe[0]
    assert listed.value.columns.tolist() == [
        "Account", "Health", "Trend", "Pulled down by", "At-risk reasons", "Account owner", "Open escalations"]
    drawn = {name: setting for name, setting in json.loads(listed.proto.columns).items() if name != "_index"}
    # no scrolling at 1440 px, with the rows' checkboxes before the first column
    assert sum(setting["width"] for setting in drawn.values()) + exports.ROW_MARKER_PX <= tables.FIT_PX
    assert drawn["Account"]["pinned"] and drawn["Trend"]["help"].startswith("NPS of the last 6 months")
    assert any("its evidence, components and 12-month figures" in c.value for c in at.caption)


def test_an_account_in_the_url_opens_its_page_with_its_events_newest_first(monkeypatch, world_db):
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time", "account": "Beta Ltd"})
    assert not at.exception
    assert at.header[0].value == "Beta Ltd"
    timeline = next(frame.value for frame in at.dataframe if "Event" in frame.value.columns)
    # Beta's events by hand: R3 1 Feb, OPP003 1 Mar, P3 starts 5 Mar, CSAT 2 on 10 Mar, OPP004 1 Apr,
    # ESC-1 10 Apr, sales meeting 15 Apr, ESC-2 and R5 1 May, P3 ends 30 Jul, OPP007 1 Dec 2025
    assert timeline["Reference"].tolist() == [
        "0065g00000OPP007AAA", "P-000003", "ESC-2", "R_fixture000000005", "00T5g00000ACT002AAA", "ESC-1",
        "0065g00000OPP004AAA", "11400000002", "P-000003", "0065g00000OPP003AAA", "R_fixture000000003",
    ]
    assert pd.to_datetime(timeline["Date"], format="%d %b %Y").is_monotonic_decreasing


def test_an_accounts_kpis_stand_against_the_portfolio(monkeypatch, world_db):
    # Beta all time: won OPP003 80k of the portfolio's 290k; NPS (0 promoters - 2 detractors) / 2 = -100
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time", "account": "Beta Ltd"})
    against = next(frame.value for frame in at.dataframe if "KPI" in frame.value.columns).set_index("KPI")
    assert against.loc["Won amount"].tolist() == ["USD 80.0k", "USD 290.0k"]  # the world's amounts are USD
    assert against.loc["NPS", "This account"] == "-100"


def test_an_account_owner_filter_narrows_the_list(monkeypatch, world_db):
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time"})
    assert metrics_shown(at)["Accounts"] == "3"
    at.multiselect(key="owner").set_value(["Bo Owner"]).run()
    assert metrics_shown(at)["Accounts"] == "1"  # Gamma


def test_the_measure_default_is_written_to_the_url_so_a_copied_link_reproduces_the_view(monkeypatch, world_db):
    # the world has 6 NPS answers against 3 CSAT: NPS is the default, and the link says so
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time"})
    assert at.query_params["measure"] == "nps"
    copied = open_page(monkeypatch, world_db, PAGE, dict(at.query_params))
    assert copied.radio(key="measure").value == "nps"
    assert copied.dataframe[0].value.equals(at.dataframe[0].value)
