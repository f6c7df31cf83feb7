"""Escalations renders on the demo and empty warehouses; its figures follow the filters."""

from __future__ import annotations

import pytest

from tests.test_pages import bars, chart, metrics_shown, open_page

PAGE = "pages/escalations.py"



def test_renders_on_the_demo_with_both_groups_of_what_followed(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, PAGE)
    assert not at.exception
    followed = bars(at, "Re-business within 12 months of the escalation")
    assert set(followed) == {"no sales", "sales involved"}


def test_the_fixture_worlds_escalations_by_hand(monkeypatch, world_db):
    # ESC-1, ESC-2, ESC-3 over the 5 projects active at some time: 3 / 5
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time"})
    shown = metrics_shown(at)
    assert (shown["Escalations"], shown["Per active project"], shown["With sales involved"]) == ("3", "0.60", "33.3%")


def test_choosing_a_delivery_team_changes_the_figures(monkeypatch, world_db):
    # Cloud Delivery runs P1 and P2; ESC-3 (open, on P1) is theirs: 1 escalation over 2 projects
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time"})
    at.multiselect(key="team").set_value(["Cloud Delivery"]).run()
    shown = metrics_shown(at)
    assert (shown["Escalations"], shown["Per active project"]) == ("1", "0.50")


def test_a_period_without_escalations_says_so_instead_of_empty_charts(monkeypatch, world_db):
    # The fixture world's escalations (ESC-1..) were opened in 2025: the default last 12 months to its
    # data date hold none of the breakdowns' rows, so each says so in one sentence.
    at = open_page(monkeypatch, world_db, PAGE)
    assert not at.exception
    shown = [i.value for i in at.info]
    assert sum(s.startswith("No escalations opened in the period") for s in shown) == 2
    with pytest.raises(AssertionError, match="no chart titled"):
        chart(at, "Escalations per active project by severity")
