"""The headline KPIs' changes against the previous period (pipelines/reporting/kpis.py)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines import metrics
from pipelines.metrics import Period
from pipelines.reporting.kpis import BY_KEY
from tests.conftest import run_app


@pytest.fixture
def con(world_db, reader):
    return reader(world_db)


def test_won_amount_against_a_previous_period_without_deals_shows_no_change(con, monkeypatch, world_db):
    # H1 2025 won OPP001-003 and OPP005 (250k); the half-year before holds no deal (the data begins in 2025)
    h1 = Period(date(2025, 1, 1), date(2025, 6, 30))
    now, before = metrics.kpis(con, h1), metrics.kpis(con, h1.previous())
    assert (now["won_amount"], before["won_amount"]) == (250_000, 0)
    assert BY_KEY["won_amount"].delta(now, before) is None
    at = run_app(monkeypatch, world_db, {"period": "Custom range", "from": "2025-01-01", "to": "2025-06-30"})
    won = next(m for m in at.metric if m.label == "Won amount")
    assert (won.value, won.delta) == ("USD 250.0k", "")


def test_won_amount_against_a_previous_period_with_deals_shows_its_change(con):
    # Q2 2025 won OPP002 (50k) against Q1's 200k (OPP001 100k, OPP003 80k, OPP005 20k)
    q2 = Period(date(2025, 4, 1), date(2025, 6, 30))
    assert BY_KEY["won_amount"].delta(metrics.kpis(con, q2), metrics.kpis(con, q2.previous())) == "-150.0k"


def test_escalations_against_a_previous_period_without_any_show_no_change(con, monkeypatch, world_db):
    # H1 2025 holds ESC-3 (15 Mar), ESC-1 (10 Apr) and ESC-2 (1 May); the Jira export begins in March 2025
    h1 = Period(date(2025, 1, 1), date(2025, 6, 30))
    now, before = metrics.kpis(con, h1), metrics.kpis(con, h1.previous())
    assert (now["escalations"]["count"], before["escalations"]["count"]) == (3, 0)
    assert BY_KEY["escalations"].delta(now, before) is None
    at = run_app(monkeypatch, world_db, {"period": "Custom range", "from": "2025-01-01", "to": "2025-06-30"})
    escalations = next(m for m in at.metric if m.label == "Escalations")
    assert (escalations.value, escalations.delta) == ("3", "")


def test_escalations_against_a_previous_period_with_some_show_their_change(con):
    # Q2 2025: ESC-1 and ESC-2 against Q1's ESC-3
    q2 = Period(date(2025, 4, 1), date(2025, 6, 30))
    assert BY_KEY["escalations"].delta(metrics.kpis(con, q2), metrics.kpis(con, q2.previous())) == "+1"
