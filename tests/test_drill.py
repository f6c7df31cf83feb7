"""Drill-down: the rows behind a bar are exactly what the bar counts (hand-checked on
tests/fixtures/world; every bar of the demo's charts against its list), and a click on a bar
lists them in the page."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines import metrics
from pipelines.metrics import Filters, Period

EVERYTHING = Filters(period=Period())


@pytest.fixture
def con(world_db, reader):
    return reader(world_db)


def test_the_answers_behind_a_category_with_what_followed_each(con):
    # 12-month windows complete by the data date (30 Jun 2026): promoters R1 (Acme, 20 Jan 2025, score 10) only;
    # R2 (1 Jul 2025) and R6 (1 Oct 2025) have incomplete windows. Acme re-bought OPP002 (50k) on 1 Jun 2025,
    # delivered as P2: (50k - 27k) / 50k = 46%.
    rows = metrics.answers_behind(con, EVERYTHING, 12, "nps_category", "promoter")
    assert rows[["account_name", "response_id", "score", "deals_within_12m", "amount_within_12m"]].values.tolist() == [
        ["Acme Corp", "R_fixture000000001", 10, 1, 50_000.0]
    ]
    assert rows["delivered_margin"].tolist() == [pytest.approx(0.46)]
    # 3-month windows: R1, R2 (Acme) and R6 (Gamma), oldest first
    assert metrics.answers_behind(con, EVERYTHING, 3, "nps_category", "promoter")["response_id"].tolist() == [
        "R_fixture000000001",
        "R_fixture000000002",
        "R_fixture000000006",
    ]


def test_the_deals_behind_the_delivery_bar_and_a_referrers_team(con):
    # Delivery-sourced: OPP007 (open, 1 Dec 2025), OPP004 (lost, 1 Apr 2025), OPP001 (won, 15 Jan 2025), latest first;
    # all referred by Dana Delivery, whose projects are Cloud Delivery's.
    expected = [
        ["0065g00000OPP007AAA", "Beta Ltd"],
        ["0065g00000OPP004AAA", "Beta Ltd"],
        ["0065g00000OPP001AAA", "Acme Corp"],
    ]
    assert (
        metrics.deals_behind(con, EVERYTHING, "source", "delivery")[["opportunity_id", "account_name"]].values.tolist()
        == expected
    )
    assert (
        metrics.deals_behind(con, EVERYTHING, "team", "Cloud Delivery")[
            ["opportunity_id", "account_name"]
        ].values.tolist()
        == expected
    )
    assert len(metrics.deals_behind(con, EVERYTHING, "source", "other sources")) == 4  # OPP002, 003, 005, 006


def test_the_escalations_behind_a_severity_and_a_sales_involvement(con):
    # ESC-1 Beta, High, sales involved; ESC-2 Beta, Medium; ESC-3 Acme, Highest (-> critical)
    assert metrics.escalations_behind(con, EVERYTHING, "sales_involved", True)["escalation_id"].tolist() == ["ESC-1"]
    assert metrics.escalations_behind(con, EVERYTHING, "sales_involved", False)["escalation_id"].tolist() == [
        "ESC-2",
        "ESC-3",
    ]
    critical = metrics.escalations_behind(con, EVERYTHING, "severity", "critical")
    assert critical[["escalation_id", "account_name"]].values.tolist() == [["ESC-3", "Acme Corp"]]


def test_the_projects_behind_re_business_and_a_sales_rep(con):
    # Completed: P1 (OPP001, Sam, 10 May 2025), P2 (OPP002 re-business, Sam, 31 Aug),
    # P3 (OPP003, Rita, 30 Jul), P4 (OPP005, Rita, 20 Apr)
    assert metrics.projects_behind(con, EVERYTHING, "business", "re-business")["project_id"].tolist() == ["P-000002"]
    assert metrics.projects_behind(con, EVERYTHING, "business", "first-time business")["project_id"].tolist() == [
        "P-000003",
        "P-000001",
        "P-000004",
    ]
    assert metrics.projects_behind(con, EVERYTHING, "sales_rep", "Rita Rep")["project_id"].tolist() == [
        "P-000003",
        "P-000004",
    ]


def test_the_filters_narrow_the_rows_behind_as_they_narrow_the_bar(con):
    enterprise = Filters(period=Period(), segments=("Enterprise",))  # Acme only
    assert metrics.deals_behind(con, enterprise, "source", "delivery")["opportunity_id"].tolist() == [
        "0065g00000OPP001AAA"
    ]
    q1 = Filters(period=Period(date(2025, 1, 1), date(2025, 3, 31)))
    assert metrics.escalations_behind(con, q1, "sales_involved", False)["escalation_id"].tolist() == ["ESC-3"]


def test_every_bar_of_the_demo_lists_as_many_rows_as_its_n(demo_db, reader):
    con = reader(demo_db)
    pairs = [
        (
            metrics.rebusiness_by_nps_category(con, EVERYTHING, 12),
            "category",
            "n",
            lambda g: metrics.answers_behind(con, EVERYTHING, 12, "nps_category", g),
        ),
        (
            metrics.outcome_by_group(con, EVERYTHING, 6, "csat_band"),
            "group",
            "n",
            lambda g: metrics.answers_behind(con, EVERYTHING, 6, "csat_band", g),
        ),
        (
            metrics.delivery_vs_other_sources(con, EVERYTHING),
            "source",
            "deals",
            lambda g: metrics.deals_behind(con, EVERYTHING, "source", g),
        ),
        (
            metrics.delivery_leads_by(con, EVERYTHING, "team"),
            "team",
            "deals",
            lambda g: metrics.deals_behind(con, EVERYTHING, "team", g),
        ),
        (
            metrics.escalation_breakdown(con, EVERYTHING, "category"),
            "category",
            "escalations",
            lambda g: metrics.escalations_behind(con, EVERYTHING, "category", g),
        ),
        (
            metrics.escalation_aftermath(con, EVERYTHING),
            "sales_involved",
            "escalations",
            lambda g: metrics.escalations_behind(con, EVERYTHING, "sales_involved", g),
        ),
        (
            metrics.rebusiness_vs_first_time(con, EVERYTHING),
            "business",
            "projects",
            lambda g: metrics.projects_behind(con, EVERYTHING, "business", g),
        ),
        (
            metrics.sold_vs_delivered_by_rep(con, EVERYTHING),
            "sales_rep",
            "n",
            lambda g: metrics.projects_behind(con, EVERYTHING, "sales_rep", g),
        ),
    ]
    for bars, group, n, behind in pairs:
        assert len(bars) >= 2
        for bar in bars.itertuples():
            assert len(behind(getattr(bar, group))) == getattr(bar, n), (group, getattr(bar, group))


@pytest.mark.parametrize("measure", ["nps", "csat"])
@pytest.mark.parametrize("per", [None, "delivery_team"])
def test_every_delivery_to_satisfaction_bar_lists_as_many_answers_as_its_n(demo_db, reader, measure, per):
    """The Overview's Delivery -> satisfaction bars: a click lists the answers about the bar's
    projects (an answer about two projects is listed for each, counted once)."""
    con = reader(demo_db)
    bars = metrics.delivery_to_satisfaction(con, EVERYTHING, measure=measure, per=per)
    assert bars["n"].sum() > 0
    for bar in bars.to_dict("records"):
        who = bar[per] if per else None
        rows = metrics.answers_about_projects(con, EVERYTHING, measure, bar["group"], per=per, who=who)
        assert rows["response_id"].nunique() == bar["n"], (measure, per, who, bar["group"])
