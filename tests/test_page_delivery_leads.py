"""Delivery-generated leads renders on the demo and empty warehouses and credits delivery's leads."""

from __future__ import annotations


from tests.test_pages import bars, metrics_shown, open_page

PAGE = "pages/delivery_leads.py"


def test_delivery_leads_win_more_often_than_other_sources_on_the_demo(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, PAGE, {"period": "All time"})
    assert not at.exception
    win = bars(at, "Win rate: delivery against other sources")
    assert win["delivery"][1] > win["other sources"][2]  # delivery's 95% low above the others' high


def test_the_fixture_worlds_delivery_leads_by_hand(monkeypatch, world_db):
    # OPP001 won 100k, OPP004 lost, OPP007 open (all referred by Dana Delivery); P1 margin 30%
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time"})
    shown = metrics_shown(at)
    assert (shown["Deals"], shown["Win rate"], shown["Net sales"]) == ("3", "50.0%", "USD 100.0k")
    assert shown["Delivered margin"] == "30.0%"


def test_a_sales_rep_in_the_url_filters_the_leads(monkeypatch, world_db):
    # Rita Rep owns OPP004 (lost) and OPP007 (open): 2 deals, none won
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time", "rep": "Rita Rep"})
    assert at.multiselect(key="rep").value == ["Rita Rep"]
    shown = metrics_shown(at)
    assert (shown["Deals"], shown["Win rate"]) == ("2", "0.0%")
