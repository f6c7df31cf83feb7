"""The demo world's planted effects (pipelines/demo.py) are recovered by the real metrics."""

from __future__ import annotations

import pytest

from pipelines import metrics


@pytest.fixture
def con(demo_db, reader):
    return reader(demo_db)


def test_promoters_rebuy_more_than_detractors_with_separate_intervals(con):
    link = metrics.rebusiness_by_nps_category(con, months=12).set_index("category")
    promoter, detractor = link.loc["promoter"], link.loc["detractor"]
    assert promoter["n"] >= 100 and detractor["n"] >= 100
    assert promoter["rate"] > detractor["rate"] + 0.15
    assert promoter["ci_low"] > detractor["ci_high"]


def test_delivery_leads_win_more_often_and_at_a_higher_margin(con):
    sources = metrics.lead_source_performance(con).set_index("lead_source")
    delivery = sources.loc["delivery"]
    others = sources.drop(index="delivery")
    others_win_rate = others["won"].sum() / others["closed"].sum()
    assert delivery["win_rate"] > others_win_rate + 0.1
    assert delivery["ci_low"] > others_win_rate
    kpis = metrics.kpis(con)
    assert kpis["delivery_leads"]["margin"] > kpis["delivered_margin"] + 0.03


def test_projects_whose_seller_sent_no_status_reports_slip_and_overrun_more(con):
    split = metrics.sold_vs_delivered_by_status_reports(con).set_index("seller_sent_status_reports")
    assert split.loc[False, "mean_slip_days"] > split.loc[True, "mean_slip_days"] + 10
    assert split.loc[False, "mean_budget_variance"] > split.loc[True, "mean_budget_variance"] + 0.05


def test_escalations_with_sales_involved_resolve_faster(con):
    split = metrics.escalation_resolution(con).set_index("sales_involved")
    assert split.loc[True, "median_hours_to_resolve"] < 0.7 * split.loc[False, "median_hours_to_resolve"]
