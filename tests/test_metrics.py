"""Every headline metric against figures computed by hand on tests/fixtures/world.

The fixture world (3 accounts, 8 deals, 5 projects, 3 escalations, 5 activities, 11 answers)
and the arithmetic behind each expected value are written out next to each test.
"""

from datetime import date

import pytest

from pipelines import metrics
from pipelines.metrics import Period

# Loaded deals (OPP008 is quarantined: close date 2/30/2025):
#  OPP001 Acme  won  1/15/2025 100,000 Delivery Referral -> delivery   (first Acme win)
#  OPP002 Acme  won  6/1/2025   50,000 Web -> marketing               (re-business)
#  OPP003 Beta  won  3/1/2025   80,000 Outbound -> sales              (first Beta win)
#  OPP004 Beta  lost 4/1/2025   30,000 Employee Referral - PS -> delivery
#  OPP005 Gamma won  2/1/2025   20,000 Partner                        (first Gamma win)
#  OPP006 Gamma won  9/1/2025   40,000 Customer Referral              (re-business)
#  OPP007 Beta  open 12/1/2025  10,000 Delivery Referral
# Completed projects (revenue / actual cost): P1 100k/70k (OPP001), P2 50k/27k (OPP002),
# P3 80k/60k (OPP003), P4 20k/14k (OPP005); P5 (OPP006) is still running.


@pytest.fixture
def con(world_db, reader):
    return reader(world_db)


def test_won_amount_sums_won_deals(con):
    assert metrics.kpis(con)["won_amount"] == 100_000 + 50_000 + 80_000 + 20_000 + 40_000


def test_rebusiness_rate_is_rebusiness_won_amount_over_won_amount(con):
    # re-business: OPP002 (50k) and OPP006 (40k) -> 90k / 290k
    assert metrics.kpis(con)["rebusiness_rate"] == pytest.approx(90_000 / 290_000)


def test_delivered_margin_counts_completed_projects_only(con):
    # (100+50+80+20 - (70+27+60+14)) / (100+50+80+20) = 79/250; P5 is running
    assert metrics.kpis(con)["delivered_margin"] == pytest.approx(79 / 250)


def test_rebusiness_margin_is_margin_of_rebusiness_projects(con):
    # completed projects of re-business deals: P2 only -> (50-27)/50
    assert metrics.kpis(con)["rebusiness_margin"] == pytest.approx(0.46)


def test_delivery_leads(con):
    # OPP001 won, OPP004 lost, OPP007 open; margin of P1 = 30/100
    assert metrics.kpis(con)["delivery_leads"] == pytest.approx(
        {"count": 3, "won": 1, "win_rate": 0.5, "net_sales": 100_000, "margin": 0.30}
    )


def test_nps_is_promoters_minus_detractors(con):
    # loaded NPS answers: 10, 9, 3, 8, 6, 10 (R6 matched by e-mail domain; R7 quarantined)
    # promoters 3, detractors 2 of 6 -> (3 - 2) / 6 * 100
    assert metrics.kpis(con)["nps"] == pytest.approx(100 / 6)


def test_csat_is_share_of_4_and_5(con):
    # loaded CSAT answers: 5, 2, 4 (the 0 is quarantined) -> 2/3
    kpis = metrics.kpis(con)
    assert kpis["csat_pct"] == pytest.approx(2 / 3)
    assert kpis["responses"] == 9


def test_escalations(con):
    # ESC-1 48 h with sales, ESC-2 120 h without, ESC-3 open -> median of 48 and 120
    assert metrics.kpis(con)["escalations"] == {"count": 3, "with_sales_involved": 1, "median_hours_to_resolve": 84.0}


def test_period_filters_by_each_metric_date(con):
    # Q1 2025: won OPP001 100k + OPP005 20k + OPP003 80k; answers 10, 3, 8 -> NPS 0
    q1 = metrics.kpis(con, Period(date(2025, 1, 1), date(2025, 3, 31)))
    assert q1["won_amount"] == 200_000
    assert q1["rebusiness_rate"] == 0
    assert q1["nps"] == 0
    assert q1["delivered_margin"] is None  # no project completed in Q1


def test_empty_period_gives_none_not_errors(con):
    empty = metrics.kpis(con, Period(date(2030, 1, 1), date(2030, 12, 31)))
    assert empty["nps"] is None and empty["won_amount"] == 0 and empty["escalations"]["count"] == 0


def test_rebusiness_by_nps_category_uses_complete_windows_only(con):
    # data date 2026-06-30 (last activity); complete 12-month windows: answers up to 2025-06-30:
    # R1 promoter -> OPP002 within 12 m; R4 passive -> OPP006; R3, R5 detractors -> none.
    frame = metrics.rebusiness_by_nps_category(con, months=12).set_index("category")
    assert frame.loc["promoter", ["n", "rebought"]].tolist() == [1, 1]
    assert frame.loc["passive", ["n", "rebought"]].tolist() == [1, 1]
    assert frame.loc["detractor", ["n", "rebought"]].tolist() == [2, 0]
    # Wilson 95% for 0/2: (0, 0.6576); for 1/1: (0.2065, 1)
    assert frame.loc["detractor", "ci_high"] == pytest.approx(0.65762, abs=1e-4)
    assert frame.loc["promoter", "ci_low"] == pytest.approx(0.20655, abs=1e-4)


def test_shorter_window_sees_fewer_followups(con):
    # R1 (20 Jan) -> OPP002 on 1 Jun: outside 3 months, inside 6
    three = metrics.rebusiness_by_nps_category(con, months=3).set_index("category")
    six = metrics.rebusiness_by_nps_category(con, months=6).set_index("category")
    assert three.loc["promoter", "rebought"] == 0
    assert six.loc["promoter", "rebought"] == 1


def test_sold_vs_delivered_splits_by_seller_status_reports(con):
    # Sam sent a status report (2/10/2025) during P1 only. P1: slip 10 d, variance 70/60-1.
    frame = metrics.sold_vs_delivered_by_status_reports(con).set_index("seller_sent_status_reports")
    assert frame.loc[True, "projects"] == 1
    assert frame.loc[True, "mean_slip_days"] == 10
    assert frame.loc[True, "mean_budget_variance"] == pytest.approx(70 / 60 - 1)
    # P2 0 d, P3 30 d, P4 -10 d -> mean 20/3
    assert frame.loc[False, "mean_slip_days"] == pytest.approx(20 / 3)


def test_lead_source_win_rates(con):
    frame = metrics.lead_source_performance(con).set_index("lead_source")
    assert frame.loc["delivery", ["deals", "closed", "won"]].tolist() == [3, 2, 1]
    assert frame.loc["delivery", "win_rate"] == 0.5
    assert frame.loc["sales", "margin"] == pytest.approx(0.25)


def test_escalation_resolution_by_sales_involvement(con):
    frame = metrics.escalation_resolution(con).set_index("sales_involved")
    assert frame.loc[True, "median_hours_to_resolve"] == 48
    assert frame.loc[False, "median_hours_to_resolve"] == 120


@pytest.mark.parametrize(
    "end,months,start,last",
    [
        (date(2026, 6, 30), 12, date(2025, 7, 1), date(2026, 6, 30)),
        (date(2026, 10, 15), 3, date(2026, 8, 1), date(2026, 10, 31)),
        (date(2026, 1, 31), 1, date(2026, 1, 1), date(2026, 1, 31)),
    ],
)
def test_period_ending_counts_whole_months(end, months, start, last):
    assert metrics.period_ending(end, months) == Period(start, last)


@pytest.mark.parametrize(
    "period,previous",
    [
        (Period(date(2025, 1, 1), date(2025, 3, 31)), Period(date(2024, 10, 1), date(2024, 12, 31))),
        (Period(date(2025, 3, 1), date(2026, 2, 28)), Period(date(2024, 3, 1), date(2025, 2, 28))),
        (Period(date(2025, 1, 10), date(2025, 1, 19)), Period(date(2024, 12, 31), date(2025, 1, 9))),
        (Period(), None),
    ],
)
def test_previous_period_has_the_same_length(period, previous):
    assert period.previous() == previous


@pytest.mark.parametrize(
    "day,months,expected",
    [
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2026, 1, 31), -12, date(2025, 1, 31)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert metrics.add_months(day, months) == expected


def test_answers_followed_into_a_period_are_those_a_window_earlier(con):
    # Q1 2026 re-business read against Q1 2025 answers: R1 promoter (-> OPP002), R3 detractor
    # (none), R4 passive (-> OPP006); R5 (1 May 2025) is outside.
    answered = metrics.answers_followed_into(Period(date(2026, 1, 1), date(2026, 3, 31)), 12)
    assert answered == Period(date(2025, 1, 1), date(2025, 3, 31))
    frame = metrics.rebusiness_by_nps_category(con, answered, months=12).set_index("category")
    assert frame["n"].to_dict() == {"promoter": 1, "passive": 1, "detractor": 1}
    assert frame["rebought"].to_dict() == {"promoter": 1, "passive": 1, "detractor": 0}
    assert metrics.answers_followed_into(Period(), 12) == Period()


def test_nps_interval_by_hand():
    # 50 promoters, 20 detractors of 100: NPS 30; variance (0.7 - 0.3^2) / 100 = 0.0061;
    # half-width 1.95996 * sqrt(0.0061) = 0.15308 -> 14.69 .. 45.31
    nps, low, high = metrics.nps_interval([50], [20], [100])
    assert nps[0] == pytest.approx(30)
    assert (low[0], high[0]) == pytest.approx((14.692, 45.308), abs=1e-3)


def test_monthly_trend_by_hand(con):
    trend = metrics.monthly_trend(con).set_index("month")
    jan, may = trend.loc["2025-01-01"], trend.loc["2025-05-01"]
    # January 2025: one NPS answer (10) -> NPS 100, no spread; OPP001 won 100k
    assert (jan["nps"], jan["nps_answers"], jan["nps_ci_low"], jan["won_amount"]) == (100, 1, 100, 100_000)
    # May 2025: answer R5 (6) -> NPS -100; P1 completed 10 May: (100k - 70k) / 100k
    assert may["nps"] == -100 and may["delivered_margin"] == pytest.approx(0.30)


# --- Dimension filters (sidebar) -----------------------------------------------------------
# Accounts: Acme (Enterprise, EMEA, Alex Owner), Beta (Mid-Market, North America, Alex Owner),
# Gamma (SMB, EMEA, Bo Owner). Sam Seller sold OPP001/002/008 (Acme); Rita Rep the rest.
# Teams: Cloud Delivery runs P1, P2 (Acme); Data & AI runs P3 (Beta), P4, P5 (Gamma).
from pipelines.metrics import Filters  # noqa: E402


def test_filters_without_dimensions_equal_a_bare_period(con):
    q1 = Period(date(2025, 1, 1), date(2025, 3, 31))
    assert metrics.kpis(con, Filters(q1)) == metrics.kpis(con, q1)


def test_segment_filter_keeps_that_segments_accounts(con):
    # Enterprise = Acme: OPP001 100k + OPP002 50k; its NPS answers 10 and 9 -> NPS 100
    kpis = metrics.kpis(con, Filters(segments=("Enterprise",)))
    assert kpis["won_amount"] == 150_000
    assert kpis["nps"] == 100


def test_region_filter_accepts_several_values(con):
    # EMEA = Acme + Gamma: 150k + 60k; both regions = everything
    assert metrics.kpis(con, Filters(regions=("EMEA",)))["won_amount"] == 210_000
    assert metrics.kpis(con, Filters(regions=("EMEA", "North America")))["won_amount"] == 290_000


def test_sales_rep_filter_keeps_their_deals_and_the_answers_of_their_accounts(con):
    # Rita Rep won OPP003 80k + OPP005 20k + OPP006 40k; her accounts Beta and Gamma answered
    # 3, 8, 6 and 10 (R6, Gamma by e-mail domain): (1 promoter - 2 detractors) / 4 = -25
    kpis = metrics.kpis(con, Filters(reps=("Rita Rep",)))
    assert kpis["won_amount"] == 140_000
    assert kpis["nps"] == pytest.approx(-25)


def test_delivery_team_filter_keeps_its_projects_and_their_escalations(con):
    # Data & AI completed P3 (80k/60k) and P4 (20k/14k): 26k / 100k; ESC-1 and ESC-2 are on P3
    kpis = metrics.kpis(con, Filters(teams=("Data & AI",)))
    assert kpis["delivered_margin"] == pytest.approx(0.26)
    assert kpis["escalations"]["count"] == 2


def test_account_owner_filter(con):
    # Bo Owner has Gamma only: OPP005 20k + OPP006 40k
    assert metrics.kpis(con, Filters(owners=("Bo Owner",)))["won_amount"] == 60_000


def test_filters_keep_their_dimensions_for_the_earlier_answers(con):
    chosen = Filters(Period(date(2026, 1, 1), date(2026, 3, 31)), segments=("SMB",))
    assert metrics.answers_followed_into(chosen, 12) == Filters(Period(date(2025, 1, 1), date(2025, 3, 31)), segments=("SMB",))
