"""The demo world's planted effects (pipelines/demo.py) are recovered by the real metrics."""

from __future__ import annotations

import pytest

from pipelines import metrics
from tests.conftest import ROOT


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
    sources = metrics.delivery_vs_other_sources(con).set_index("source")
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
    split = metrics.escalation_aftermath(con).set_index("sales_involved")
    assert split.loc[True, "median_hours_to_resolve"] < 0.7 * split.loc[False, "median_hours_to_resolve"]


def test_the_readme_reports_what_the_metrics_recover(con):
    """The README's table of recovered effects (scale 1, seed 7) is what the metrics say today."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    link = metrics.rebusiness_by_nps_category(con, months=12).set_index("category")
    p, q, d = link.loc["promoter"], link.loc["passive"], link.loc["detractor"]
    sources = metrics.delivery_vs_other_sources(con).set_index("source")
    delivery, others = sources.loc["delivery"], sources.drop(index="delivery")
    kpis = metrics.kpis(con)
    split = metrics.sold_vs_delivered_by_status_reports(con).set_index("seller_sent_status_reports")
    without, with_ = split.loc[False], split.loc[True]
    escalations = metrics.escalation_aftermath(con).set_index("sales_involved")
    expected = [
        f"promoters {p.rate:.1%} (95% CI {p.ci_low:.1%}–{p.ci_high:.1%}, n = {p.n:,.0f} answers), passives "
        f"{q.rate:.1%}, detractors {d.rate:.1%} ({d.ci_low:.1%}–{d.ci_high:.1%}, n = {d.n:,.0f})",
        f"win rate {delivery.win_rate:.1%} ({delivery.ci_low:.1%}–{delivery.ci_high:.1%}, n = {delivery.closed:,.0f} "
        f"closed) against {others.won.sum() / others.closed.sum():.1%} for the other sources",
        f"delivered margin {kpis['delivery_leads']['margin']:.1%} against {kpis['delivered_margin']:.1%} overall",
        f"mean slip {without.mean_slip_days:.0f} days and cost overrun {without.mean_budget_variance:+.1%} "
        f"(n = {without.projects:,.0f}) against {with_.mean_slip_days:.0f} days and {with_.mean_budget_variance:+.1%} "
        f"(n = {with_.projects:,.0f})",
        f"median {escalations.loc[True, 'median_hours_to_resolve']:.0f} h (n = {escalations.loc[True, 'escalations']:,.0f}) "
        f"against {escalations.loc[False, 'median_hours_to_resolve']:.0f} h (n = {escalations.loc[False, 'escalations']:,.0f})",
    ]
    for line in expected:
        assert line in readme


def test_promoters_bring_more_rebusiness_amount_than_detractors(con):
    link = metrics.outcome_by_group(con, months=12).set_index("group")
    assert link.loc["promoter", "amount_ci_low"] > link.loc["detractor", "amount_ci_high"]


def test_each_nps_point_brings_more_rebusiness(con):
    fit = metrics.score_regression(con, months=12, outcome="amount")
    assert fit["n"] >= 1000 and fit["ci_low"] > 0


def test_dissatisfied_csat_answers_rebuy_less_than_satisfied_ones(con):
    link = metrics.outcome_by_group(con, months=12, by="csat_band").set_index("group")
    assert link.loc["satisfied (4-5)", "ci_low"] > link.loc["dissatisfied (1-2)", "ci_high"]


def _within_account(con, measure: str) -> dict:
    """Late-or-over-budget minus on-time answers naming their project, each less its account's
    baseline (the mean of its answers naming no project): the planted shift, free of which accounts
    happened to have which projects (answers of one account share its satisfaction)."""
    pairs = metrics.project_answers(con, measure=measure)
    named = pairs[pairs["linked_by"] == "project reference"]
    baseline = con.execute("""SELECT account_id, avg(score) AS baseline FROM mart_response_outcome
                              WHERE survey_type = ? AND project_id IS NULL GROUP BY 1""", [measure]).df()
    named = named.merge(baseline, on="account_id")
    residual = named["score"] - named["baseline"]
    return metrics.difference_interval(residual[named["group"] == "late or over budget"],
                                       residual[named["group"] == "on time and on budget"])


@pytest.mark.parametrize("measure", ["nps", "csat"])
def test_the_planted_delivery_effect_is_recovered_within_its_interval(con, measure):
    from pipelines.demo import DELIVERY_SCORE_PENALTY

    effect = _within_account(con, measure)
    assert effect["n_a"] >= 500 and effect["n_b"] >= 50
    assert effect["ci_low"] <= -DELIVERY_SCORE_PENALTY[measure] <= effect["ci_high"]
    assert metrics.delivery_effect(con, measure=measure)["verdict"] == "clearly lower"


def test_a_share_of_demo_answers_name_their_project(con):
    from pipelines.demo import PROJECT_REFERENCE_SHARE

    share = con.execute("SELECT avg(CASE WHEN project_id IS NOT NULL THEN 1.0 ELSE 0 END) FROM fct_survey_response").fetchone()[0]
    assert 0.5 * PROJECT_REFERENCE_SHARE < share <= PROJECT_REFERENCE_SHARE


def test_every_link_of_the_chain_is_clear_on_the_demo(con):
    assert [link["verdict"] for link in metrics.chain_sentences(con, measure="nps")] == \
        ["clearly lower", "clearly lower", "clearly higher"]
