"""Satisfaction -> Profit renders on the demo and empty warehouses and shows the planted link."""

from __future__ import annotations

import pytest

from tests.test_pages import bars, open_page

PAGE = "pages/satisfaction_profit.py"


@pytest.fixture(scope="module")
def demo_page(demo_db):
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield open_page(monkeypatch, demo_db, PAGE)


def test_promoters_rebuy_more_than_detractors_with_separate_intervals(demo_page):
    assert not demo_page.exception
    rate = bars(demo_page, "Re-business within 12 months")
    promoter, detractor = rate["promoter"], rate["detractor"]
    assert promoter[0] > detractor[0]
    assert promoter[1] > detractor[2]  # promoters' 95% low above detractors' 95% high


def test_the_regression_reports_slope_interval_r2_and_n(demo_page):
    # the amount's slope, in the short money style ("Slope +12.3k per score point")
    fit = next(c.value for c in demo_page.caption
               if c.value.startswith("Slope +") and "%" not in c.value.split("per")[0])
    assert "95% CI" in fit and "R² =" in fit and "n = " in fit


def test_the_window_in_the_url_is_restored(monkeypatch, world_db):
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time", "months": "6"})
    assert not at.exception
    assert at.radio(key="months").value == 6
    # complete 6-month windows, promoters: R1 (20 Jan 2025) -> OPP002 on 1 Jun, inside 6 months;
    # R2 (1 Jul 2025, Acme) and R6 (1 Oct 2025, Gamma) -> no later re-business: 1 of 3
    assert bars(at, "Re-business within 6 months")["promoter"][0] == pytest.approx(1 / 3)


def test_a_filter_changes_the_win_win_matrix(monkeypatch, world_db):
    # All time: Acme (NPS 100, margin 35.3%) and Gamma (NPS 50, 30%) win-win, Beta (-100, 25%) lose-lose;
    # Alex Owner's accounts are Acme and Beta
    at = open_page(monkeypatch, world_db, PAGE, {"period": "All time"})
    assert "n = 3 accounts" in " ".join(c.value for c in at.caption)
    at.multiselect(key="owner").set_value(["Alex Owner"]).run()
    assert "n = 2 accounts" in " ".join(c.value for c in at.caption)


def test_a_large_regression_draws_a_fixed_sample_and_says_so_while_the_line_uses_every_point():
    import pandas as pd

    from pipelines.reporting import charts

    points = pd.DataFrame(
        {
            "score": [i % 11 for i in range(5_000)],
            "amount": [float(i) for i in range(5_000)],
            "nps_category": ["promoter"] * 5_000,
        }
    )
    fit = {"slope": 2.0, "intercept": 1.0}
    figure = charts.regression_scatter(points, "score", "amount", fit, "Amount on score", "score", "amount")
    markers = [trace for trace in figure.data if trace.mode == "markers"]
    assert sum(len(trace.x) for trace in markers) == charts.MAX_POINTS_DRAWN
    assert figure.layout.title.subtitle.text.startswith("2,000 of 5,000 answers drawn")
    line = next(trace for trace in figure.data if trace.mode == "lines")
    assert list(line.x) == [0, 10] and list(line.y) == [1.0, 21.0]  # fitted line over the whole score range
    again = charts.regression_scatter(points, "score", "amount", fit, "Amount on score", "score", "amount")
    assert list(again.data[0].y) == list(markers[0].y)  # the same sample every time
    small = charts.regression_scatter(points.head(100), "score", "amount", fit, "Amount on score", "score", "amount")
    assert small.layout.title.subtitle.text is None


def test_a_crowded_win_win_matrix_draws_the_largest_accounts_and_says_so():
    import pandas as pd

    from pipelines.reporting import charts

    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(2_500)],
            "account_name": [f"Account {i}" for i in range(2_500)],
            "nps": [float(i % 200 - 100) for i in range(2_500)],
            "margin": [0.3] * 2_500,
            "revenue": [float(i) for i in range(2_500)],
            "quadrant": ["win-win"] * 2_500,
        }
    )
    figure = charts.win_win_matrix(accounts, 0, 0.3)
    drawn = [account for trace in figure.data for account in trace.customdata[:, 0]]
    assert len(drawn) == charts.MAX_POINTS_DRAWN and "A0" not in drawn and "A2499" in drawn  # the smallest 500 left out
    assert figure.layout.title.subtitle.text == "the 2,000 largest of 2,500 accounts by revenue drawn"
