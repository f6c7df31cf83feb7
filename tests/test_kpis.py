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


# H1 2025 against the half-year before, when the data has not begun: per KPI, its figures then and
# before by hand, and its tile. H1 2025 won OPP001-003 and OPP005 (250k), the half-year before no deal;
# it holds ESC-3 (15 Mar), ESC-1 (10 Apr) and ESC-2 (1 May), the Jira export beginning in March 2025.
WITHOUT_A_PREVIOUS_PERIOD = {"won_amount": ((250_000, 0), "USD 250.0k"), "escalations": ((3, 0), "3")}


def test_a_kpi_against_a_previous_period_without_its_facts_shows_no_change(con, monkeypatch, world_db):
    h1 = Period(date(2025, 1, 1), date(2025, 6, 30))
    now, before = metrics.kpis(con, h1), metrics.kpis(con, h1.previous())
    at = run_app(monkeypatch, world_db, {"period": "Custom range", "from": "2025-01-01", "to": "2025-06-30"})
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    for key, (figures, shown) in WITHOUT_A_PREVIOUS_PERIOD.items():
        kpi = BY_KEY[key]
        assert (kpi.read(now), kpi.read(before)) == figures
        assert kpi.delta(now, before) is None
        assert tiles[kpi.label] == (shown, "")


@pytest.mark.parametrize("key, change", [
    ("won_amount", "-150.0k"),  # Q2 2025 won OPP002 (50k) against Q1's 200k (OPP001 100k, OPP003 80k, OPP005 20k)
    ("escalations", "+1"),  # Q2 2025: ESC-1 and ESC-2 against Q1's ESC-3
])
def test_a_kpi_against_a_previous_period_with_its_facts_shows_its_change(con, key, change):
    q2 = Period(date(2025, 4, 1), date(2025, 6, 30))
    assert BY_KEY[key].delta(metrics.kpis(con, q2), metrics.kpis(con, q2.previous())) == change
