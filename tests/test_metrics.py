"""Every headline metric against figures computed by hand on tests/fixtures/world.

The fixture world (3 accounts, 8 deals, 5 projects, 3 escalations, 5 activities, 11 answers)
and the arithmetic behind each expected value are written out next to each test.
"""

import math
import shutil
from datetime import date

import duckdb
import pytest

from pipelines import metrics
from pipelines.metrics import Period, statistics

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


# --- Satisfaction -> profit -------------------------------------------------------------------
# Answers with a complete 12-month window (up to 2025-06-30), and what the account did next:
#  NPS  R1 Acme 10 -> OPP002 50k (P2 delivered 50k/27k: margin 46%); R3 Beta 3 -> none;
#       R4 Gamma 8 -> OPP006 40k (P5 still running: no margin); R5 Beta 6 -> none
#  CSAT Acme 5 (15 Feb) -> OPP002 50k; Beta 2 (10 Mar) -> none; Gamma 4 (1 Apr) -> OPP006 40k


def test_outcome_by_nps_category_by_hand(con):
    frame = metrics.outcome_by_group(con, months=12).set_index("group")
    assert frame.loc["promoter", ["n", "rebought", "amount", "n_margin", "margin"]].tolist() == [1, 1, 50_000, 1, pytest.approx(0.46)]
    assert frame.loc["passive", ["n", "amount", "n_margin"]].tolist() == [1, 40_000, 0]
    assert frame.loc["detractor", ["n", "rebought", "amount"]].tolist() == [2, 0, 0]


def test_outcome_by_csat_band_has_a_t_interval_on_the_amount(con):
    # satisfied: 50k and 40k -> mean 45k, sd 7,071, se 5,000; t(0.975, 1 df) = 12.706 -> 45k +- 63,531,
    # from -18,531 (no amount won is below 0: the interval starts at 0) to 108,531
    frame = metrics.outcome_by_group(con, months=12, by="csat_band").set_index("group")
    satisfied = frame.loc["satisfied (4-5)"]
    assert (satisfied["n"], satisfied["rebought"], satisfied["amount"]) == (2, 2, 45_000)
    assert (satisfied["amount_ci_low"], satisfied["amount_ci_high"]) == pytest.approx((0, 108_531), abs=1)
    assert frame.loc["neutral (3)", "n"] == 0


def test_score_regression_of_amount_by_hand(con):
    # points (10, 50k), (3, 0), (8, 40k), (6, 0): mean x 6.75, y 22.5k; Sxx 26.75, Sxy 212,500,
    # Syy 2.075e9 -> slope 212,500 / 26.75 = 7,943.9; R² = Sxy² / (Sxx Syy) = 0.8135
    fit = metrics.score_regression(con, months=12, outcome="amount")
    assert fit["n"] == 4
    assert fit["slope"] == pytest.approx(212_500 / 26.75)
    assert fit["r2"] == pytest.approx(212_500**2 / (26.75 * 2.075e9))
    assert fit["ci_low"] < fit["slope"] < fit["ci_high"]


def test_score_regression_needs_three_points(con):
    # only R1's re-business has delivered: one point, no fit
    fit = metrics.score_regression(con, months=12, outcome="margin")
    assert (fit["n"], fit["slope"]) == (1, None)


def test_win_win_matrix_by_hand(con):
    # Acme NPS (10, 9) = 100, margin 53k / 150k = 35.3%; Beta (3, 6) = -100, 25%; Gamma (8, 10) = 50, 30%
    accounts = metrics.win_win_accounts(con).set_index("account_name")
    assert accounts["quadrant"].to_dict() == {"Acme Corp": "win-win", "Beta Ltd": "lose-lose", "Gamma GmbH": "win-win"}
    shares = metrics.quadrant_shares(accounts).set_index("quadrant")
    assert shares.loc["win-win", "revenue_share"] == pytest.approx(170 / 250)
    assert shares.loc["lose-lose", "revenue_share"] == pytest.approx(80 / 250)


def test_win_win_thresholds_are_settings(con):
    # at a 31% margin threshold Gamma's 30% no longer wins for the business
    accounts = metrics.win_win_accounts(con, margin_threshold=0.31).set_index("account_name")
    assert accounts.loc["Gamma GmbH", "quadrant"] == "customer wins only"


def test_earned_growth_by_hand(con):
    # 2026Q1: the year to 31 Mar 2026 won OPP002 50k (Acme) + OPP006 40k (Gamma); the year before
    # OPP001 100k + OPP003 80k + OPP005 20k = 200k, all three accounts -> NRR 90 / 200; OPP006 is a
    # customer referral but re-business, so no referred new business
    growth = metrics.earned_growth(con, Period(date(2026, 1, 1), date(2026, 3, 31))).set_index("quarter")
    assert growth.loc["2026Q1", ["prior_amount", "retained_amount", "referred_new"]].tolist() == [200_000, 90_000, 0]
    assert growth.loc["2026Q1", "nrr"] == pytest.approx(0.45)
    assert growth.loc["2026Q1", "earned_growth_rate"] == pytest.approx(0.45)


# --- Delivery leads, escalations, sold vs delivered -------------------------------------------

def test_delivery_against_other_sources_by_hand(con):
    # delivery: OPP001 won 100k, OPP004 lost, OPP007 open; others: OPP002/003/005/006 all won 190k,
    # delivered P2 23k + P3 20k + P4 6k profit over 150k revenue
    frame = metrics.delivery_vs_other_sources(con).set_index("source")
    assert frame.loc["delivery", ["deals", "closed", "won", "net_sales"]].tolist() == [3, 2, 1, 100_000]
    assert frame.loc["other sources", ["deals", "won", "net_sales"]].tolist() == [4, 4, 190_000]
    assert frame.loc["other sources", "margin"] == pytest.approx(49 / 150)


def test_delivery_leads_are_credited_to_the_referrers_team(con):
    # Dana Delivery referred all three and leads P1 and P2 (Cloud Delivery)
    frame = metrics.delivery_leads_by(con, by="team")
    assert frame[["team", "deals", "won"]].values.tolist() == [["Cloud Delivery", 3, 1]]


def test_escalations_by_severity_per_active_project(con):
    # ESC-3 critical (Jira Highest, open), ESC-1 high 48 h with sales, ESC-2 medium 120 h; 5 projects
    frame = metrics.escalation_breakdown(con).set_index("severity")
    assert frame.index.tolist() == ["critical", "high", "medium"]
    assert frame["per_active_project"].tolist() == [0.2, 0.2, 0.2]
    assert frame.loc["critical", "still_open"] == 1
    assert frame.loc["high", "sales_share"] == 1


def test_what_followed_escalations_by_hand(con):
    # ESC-3 (Acme, no sales) -> OPP002 within 12 months, next answer R2 9; ESC-2 (Beta, no sales) ->
    # nothing, no later answer; ESC-1 (Beta, sales) -> no re-business, next answer R5 6
    frame = metrics.escalation_aftermath(con).set_index("sales_involved")
    assert frame.loc[False, ["escalations", "complete", "rebought", "next_answers", "next_nps"]].tolist() == [2, 2, 1, 1, 100]
    assert frame.loc[True, ["escalations", "rebought", "next_nps"]].tolist() == [1, 0, -100]


def test_rebusiness_against_first_time_business_by_hand(con):
    # re-business: OPP002 + OPP006 90k, P2 46%; first-time: 200k, P1 30%, P3 25%, P4 30% (56k / 200k)
    frame = metrics.rebusiness_vs_first_time(con).set_index("business")
    assert frame.loc["re-business", ["won_deals", "won_amount", "projects"]].tolist() == [2, 90_000, 1]
    assert frame.loc["first-time business", "margin"] == pytest.approx(0.28)
    assert frame.loc["first-time business", "mean_project_margin"] == pytest.approx(0.85 / 3)


def test_sold_vs_delivered_by_rep_by_hand(con):
    # Sam: P1 70/60 - 1, slip 10; P2 27/30 - 1, slip 0; Acme's R2 (9) came within 6 months of P1's end.
    # Rita: P3 60/50 - 1, slip 30; P4 14/15 - 1, slip -10; Gamma's R6 (10) within 6 months of P4's end.
    frame = metrics.sold_vs_delivered_by_rep(con).set_index("sales_rep")
    assert frame.loc["Sam Seller", "budget_variance"] == pytest.approx((70 / 60 - 1 + 27 / 30 - 1) / 2)
    assert frame.loc["Rita Rep", "slip_days"] == 10
    assert frame.loc["Sam Seller", ["answers_after", "nps_after"]].tolist() == [1, 100]


def test_sales_governance_by_hand(con):
    # Sam: status report 10 Feb; Rita: joint workshop, sales meeting with Dana, ESC-1 (Beta) with sales
    frame = metrics.sales_governance(con).set_index("sales_rep")
    counts = ["status_reports", "joint_engagements", "meetings_with_delivery", "escalations_with_sales"]
    assert frame.loc["Sam Seller", counts].tolist() == [1, 0, 0, 0]
    assert frame.loc["Rita Rep", counts].tolist() == [0, 1, 1, 1]


def test_sales_governance_per_team_sums_its_reps(con):
    # Owner Role: Sam Seller's deals say Enterprise East, Rita Rep's Mid-market
    frame = metrics.sales_governance(con, by="team").set_index("sales_team")
    counts = ["reps", "status_reports", "joint_engagements", "meetings_with_delivery", "escalations_with_sales"]
    assert frame.loc["Enterprise East", counts].tolist() == [1, 1, 0, 0, 0]
    assert frame.loc["Mid-market", counts].tolist() == [1, 0, 1, 1, 1]


def test_sales_governance_counts_a_rep_whose_deals_name_no_team_under_no_team(world_db, reader, tmp_path):
    db = tmp_path / "no-teams.duckdb"
    shutil.copy(world_db, db)
    with duckdb.connect(str(db)) as writable:
        writable.execute("UPDATE fct_opportunity SET sales_team = NULL WHERE owner = 'Rita Rep'")
    frame = metrics.sales_governance(reader(db), by="team").set_index("sales_team")
    assert frame.loc[metrics.NO_TEAM, ["reps", "joint_engagements"]].tolist() == [1, 1]


# --- Account health -----------------------------------------------------------------------------

def test_account_health_of_acme_by_hand(con):
    # as of the data date 30 Jun 2026: NPS 12 m = R2 (9) -> 100 -> satisfaction 100; no answer in the
    # last 6 months -> no trend (left out, not a neutral 50); ESC-3 open -> 75; P2 46% >= 30% target
    # -> 100; activity today -> 100. (0.30 x 100 + 0.20 x 75 + 0.20 x 100 + 0.15 x 100) / 0.85 = 80 / 0.85
    acme = metrics.account_health(con).set_index("account_name").loc["Acme Corp"]
    assert acme["health"] == pytest.approx(80 / 0.85)
    assert (acme["missing"], acme["trend_arrow"]) == ("trend", "")
    assert acme["pulled_down_by"] == "escalations"  # (100 - 75) x 0.20 = 5, every other gap 0


def test_health_scores_explain_themselves():
    import pandas as pd

    facts = pd.DataFrame([{"nps_12m": -30, "nps_recent": 10, "nps_before": 30, "open_escalations": 1,
                           "recent_escalations": 2, "margin_12m": 0.21, "days_since_activity": 105}])
    # satisfaction 35; trend 50 - 20/2 = 40; escalations 100 - 25 - 20 = 55; margin 9 pts short of
    # 30 -> 70; engagement (180 - 105) / 150 -> 50. Health 10.5 + 6 + 11 + 14 + 7.5 = 49
    scored = metrics.health_scores(facts).iloc[0]
    assert scored["health"] == pytest.approx(49)
    assert (scored["pulled_down_by"], scored["trend_arrow"]) == ("satisfaction", "▼")
    assert scored["at_risk_reasons"] == "satisfaction 35/100"


def test_health_weights_are_settings():
    import pandas as pd

    facts = pd.DataFrame([{"nps_12m": None, "nps_recent": None, "nps_before": None, "open_escalations": 0,
                           "recent_escalations": 0, "margin_12m": None, "days_since_activity": None}])
    # no answers or margin -> left out; no activity -> engagement 0; escalations 100
    only_escalations = metrics.health_scores(facts, {"escalations": 1.0}).iloc[0]
    only_engagement = metrics.health_scores(facts, {"engagement": 1.0}).iloc[0]
    assert (only_escalations["health"], only_engagement["health"]) == (100, 0)


def test_filter_options_come_from_the_loaded_data(con):
    options = metrics.filter_options(con)
    assert options["segments"] == ["Enterprise", "Mid-Market", "SMB"]
    assert options["teams"] == ["Cloud Delivery", "Data & AI"]
    assert options["reps"] == ["Rita Rep", "Sam Seller"]


# --- Scopes and intervals behind the fast paths -------------------------------------------------

def test_a_query_without_dimension_filters_reads_no_other_table():
    # the scope clauses cost more than the metric queries at scale 400 when carried unused
    assert Filters(Period(date(2025, 1, 1), date(2025, 3, 31))).scope("deal") == ("TRUE", [])
    sql, params = Filters(segments=("SMB",), reps=("Rita Rep",)).scope("project")
    assert "dim_account" in sql and "fct_opportunity" not in sql and "fct_project" not in sql
    assert params == [["SMB"], ["Rita Rep"]]


def test_within_binds_the_period_before_the_scope():
    q1 = Period(date(2025, 1, 1), date(2025, 3, 31))
    assert Filters(q1, teams=("Data & AI",)).within("escalation", "opened") == (
        "opened BETWEEN ? AND ? AND project_id IN (SELECT project_id FROM fct_project WHERE list_contains(?, delivery_team))",
        [date(2025, 1, 1), date(2025, 3, 31), ["Data & AI"]])


def test_wilson_interval_matches_newcombes_worked_examples():
    # Newcombe (1998), Statistics in Medicine 17:857, table II, method 3 (score, no continuity correction):
    # 81/263 -> 0.2553-0.3662; 0/20 -> 0.0000-0.1611; 15/148 -> 0.0624-0.1605
    low, high = metrics.wilson_interval([81, 0, 15], [263, 20, 148])
    assert list(low) == pytest.approx([0.2553, 0.0, 0.0624], abs=5e-5)
    assert list(high) == pytest.approx([0.3662, 0.1611, 0.1605], abs=5e-5)


def test_nps_interval_uses_the_normal_quantile_of_scipy():
    from scipy.stats import norm

    nps, low, high = metrics.nps_interval([50, 3], [20, 1], [100, 7], confidence=0.9)
    share, spread = 0.3, norm.ppf(0.95) * (0.7 - 0.3**2) ** 0.5 / 10
    assert (low[0], high[0]) == pytest.approx((100 * (share - spread), 100 * (share + spread)), rel=1e-12)


@pytest.mark.parametrize("values", [[1.0, 2.0, 4.0], [0.1] * 2 + [0.3], [-5.0, 17.5, 3.25, 8.0, 8.0, 1e-3], list(range(200))])
def test_mean_interval_equals_statsmodels(values):
    from statsmodels.stats.weightstats import DescrStatsW

    mean, low, high = metrics.mean_interval(values)
    assert (low, high) == pytest.approx(DescrStatsW(values).tconfint_mean(alpha=0.05), rel=1e-12)
    assert mean == pytest.approx(sum(values) / len(values), rel=1e-12)


# The intervals are the textbook formulas on scipy.special's quantiles (statistics' docstring says
# why); statsmodels, the library they come from, is the reference they are held to.
SHARES = [(0, 1), (1, 1), (0, 20), (20, 20), (81, 263), (15, 148), (3, 7), (499, 1000)]


@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_wilson_interval_equals_statsmodels(confidence):
    from statsmodels.stats.proportion import proportion_confint

    successes, trials = zip(*SHARES)
    low, high = metrics.wilson_interval(list(successes), list(trials), confidence)
    expected_low, expected_high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    assert list(low) == pytest.approx(list(expected_low), rel=1e-12, abs=1e-15)
    assert list(high) == pytest.approx(list(expected_high), rel=1e-12, abs=1e-15)
    assert metrics.wilson_interval(3, 7, confidence) == pytest.approx(
        proportion_confint(3, 7, alpha=1 - confidence, method="wilson"), rel=1e-12)


@pytest.mark.parametrize("a", SHARES)
@pytest.mark.parametrize("b", [(2, 9), (40, 50), (0, 12), (12, 12)])
def test_proportion_difference_equals_statsmodels_newcombe(a, b):
    from statsmodels.stats.proportion import confint_proportions_2indep

    difference = metrics.proportion_difference(*a, *b)
    expected = confint_proportions_2indep(*a, *b, method="newcomb", compare="diff", alpha=0.05)
    assert (difference["ci_low"], difference["ci_high"]) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert difference["effect"] == a[0] / a[1] - b[0] / b[1]


@pytest.mark.parametrize(("a", "weights_a", "b", "weights_b"), [
    ([1.0, 2.0, 4.0], None, [3.0, 3.5, 9.0, 1.0], None),
    ([0.0, 5.0, 10.0], [3, 1, 40], [1.0, 9.0, 10.0], [7, 2, 2]),  # histograms of scores, as the Overview's chain
    ([-5.0, 17.5, 3.25, 8.0, 8.0, 1e-3], None, list(range(200)), None),
    ([2.0, 2.0, 2.0], None, [1.0, 3.0], None),  # one side without spread
])
def test_difference_interval_equals_statsmodels_welch(a, weights_a, b, weights_b):
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    difference = metrics.difference_interval(a, b, weights_a=weights_a, weights_b=weights_b)
    compared = CompareMeans(DescrStatsW(a, weights=weights_a, ddof=1), DescrStatsW(b, weights=weights_b, ddof=1))
    assert (difference["ci_low"], difference["ci_high"]) == pytest.approx(
        compared.tconfint_diff(alpha=0.05, usevar="unequal"), rel=1e-12)
    assert difference["effect"] == pytest.approx(compared.d1.mean - compared.d2.mean, rel=1e-12)
    assert (difference["n_a"], difference["n_b"]) == (round(compared.d1.sum_weights), round(compared.d2.sum_weights))


def test_difference_interval_of_two_samples_without_spread_is_the_difference_itself():
    # statsmodels gives NaN bounds here (0 / 0 degrees of freedom); the difference is known exactly.
    difference = metrics.difference_interval([4.0, 4.0], [1.0, 1.0, 1.0])
    assert (difference["effect"], difference["ci_low"], difference["ci_high"]) == (3.0, 3.0, 3.0)


def test_mean_interval_needs_two_different_values_for_a_spread():
    import math

    assert all(math.isnan(x) for x in metrics.mean_interval([]))
    assert metrics.mean_interval([3.0])[0] == 3 and math.isnan(metrics.mean_interval([3.0])[1])
    assert metrics.mean_interval([2.0, 2.0]) == (2, 2, 2)


# A mean's interval stays on its scale. By hand: t(0.975, 1) = 12.706, t(0.975, 2) = 4.3027.
@pytest.mark.parametrize("values,scale,low,high", [
    ([2.0, 5.0], statistics.SCORE_SCALES["csat"], 1, 5),  # 3.5 +- 12.706 x 2.1213 / sqrt 2 = 3.5 +- 19.06
    ([9.0, 10.0, 10.0], statistics.SCORE_SCALES["nps"], 29 / 3 - 1.4342, 10),  # 9.667 +- 4.3027 x 0.5774 / sqrt 3
    ([0.5, 0.9], statistics.MARGIN_SCALE, 0.7 - 2.5412, 1),  # margins: 0.7 +- 2.5412, none above 100%
    ([-0.2, 0.1], statistics.BUDGET_VARIANCE_SCALE, -1, -0.05 + 1.9059),  # no cost below 0: variance >= -100%
    ([50_000.0, 40_000.0], statistics.AMOUNT_SCALE, 0, 45_000 + 12.7062 * 5_000),  # no amount won below 0
    ([2.0, 5.0], None, 3.5 - 19.0593, 3.5 + 19.0593),  # a figure without a scale keeps its t-interval
])
def test_a_means_interval_stays_within_its_scale(values, scale, low, high):
    assert metrics.mean_interval(values, scale=scale)[1:] == pytest.approx((low, high), abs=1e-3, rel=1e-6)


def test_an_interval_of_a_difference_stays_within_what_the_scale_allows():
    # CSAT 5, 5, 1 against 1, 1, 5: 4/3 with Welch's -3.902 to 6.569; no two CSAT means are more than 4 apart
    difference = metrics.difference_interval([5, 5, 1], [1, 1, 5], scale=statistics.SCORE_SCALES["csat"])
    assert (difference["ci_low"], difference["ci_high"]) == pytest.approx((-3.902, 4), abs=1e-3)
    # NPS 100 (2 promoters of 2) against 0 (1 promoter, 1 detractor of 2): variance 0 + (1 - 0) / 2, so
    # 100 +- 196 x sqrt(0.5) = 100 +- 138.6, -38.6 to 238.6; no two NPS are more than 200 apart
    nps = metrics.nps_difference(2, 0, 2, 1, 1, 2)
    assert (nps["ci_low"], nps["ci_high"]) == pytest.approx((100 - 138.59, 200), abs=0.01)


def test_health_lists_every_at_risk_component_in_order():
    import pandas as pd

    facts = pd.DataFrame([{"nps_12m": -30, "nps_recent": None, "nps_before": None, "open_escalations": 3,
                           "recent_escalations": 1, "margin_12m": 0.40, "days_since_activity": 400},
                          {"nps_12m": 50, "nps_recent": 50, "nps_before": 50, "open_escalations": 0,
                           "recent_escalations": 0, "margin_12m": 0.40, "days_since_activity": 1}])
    # satisfaction 35; escalations 100 - 75 - 10 = 15; engagement 0; the second account is healthy
    reasons = metrics.health_scores(facts).set_index("nps_12m")["at_risk_reasons"]
    assert reasons.to_dict() == {-30: "satisfaction 35/100; escalations 15/100; engagement 0/100", 50: ""}


# --- Delivery -> satisfaction (issue 14) ----------------------------------------------------------
# Completed projects: P1 Acme 20 Jan - 10 May 2025 (10 days late, 70k > 60k budget) and P3 Beta
# 5 Mar - 30 Jul 2025 (30 days late, over budget): late or over budget; P2 Acme 5 Jun - 31 Aug 2025
# and P4 Gamma 5 Feb - 20 Apr 2025: on time and on budget. No answer names a project, so each
# project gets its account's answers from its start to 6 months after its end:
#  P1: R1 (20 Jan, 10), R2 (1 Jul, 9); P3: R5 (1 May, 6) (R3 on 1 Feb is before the start)
#  P2: R2 (9); P4: R4 (1 Mar, 8), R6 (1 Oct, 10)
# late or over budget: 10, 9, 6 -> n 3, mean 25/3, sd 2.0817, t(0.975, 2) = 4.3027 -> 25/3 +- 5.1713, up to
#   13.5 on a 0-10 scale: the interval stops at 10;
#   1 detractor of 3; NPS (2 - 1) / 3. On time: 9, 8, 10 -> mean 9, no detractor, NPS 2/3.
# CSAT: P1 Acme 5 (15 Feb), P3 Beta 2 (10 Mar), P4 Gamma 4 (1 Apr); P2 starts after Acme's answer.

def test_delivery_to_satisfaction_by_hand(con):
    frame = metrics.delivery_to_satisfaction(con).set_index("group")
    late, on_time = frame.loc["late or over budget"], frame.loc["on time and on budget"]
    assert (late["n"], late["projects"], late["mean_score"]) == (3, 2, pytest.approx(25 / 3))
    assert (late["ci_low"], late["ci_high"]) == pytest.approx((25 / 3 - 5.1713, 10), abs=1e-3)
    assert (late["low_share"], late["satisfaction"]) == (pytest.approx(1 / 3), pytest.approx(100 / 3))
    assert (on_time["n"], on_time["mean_score"], on_time["low_share"]) == (3, 9, 0)
    assert on_time["satisfaction"] == pytest.approx(200 / 3)


def test_delivery_to_satisfaction_reads_csat_the_same_way(con):
    frame = metrics.delivery_to_satisfaction(con, measure="csat").set_index("group")
    assert frame.loc["late or over budget", ["n", "mean_score", "low_share", "satisfaction"]].tolist() == [2, 3.5, 0.5, 0.5]
    # 5 and 2: sd 2.1213, t(0.975, 1) = 12.706 -> 3.5 +- 19.06, -15.56 to 22.56 on a 1-5 scale: the whole scale
    assert frame.loc["late or over budget", ["ci_low", "ci_high"]].tolist() == [1, 5]
    assert frame.loc["on time and on budget", ["n", "mean_score", "low_share", "satisfaction"]].tolist() == [1, 4, 0, 1]


def test_delivery_to_satisfaction_by_delivery_team(con):
    # Cloud Delivery: P1 (R1 10, R2 9) late, P2 (R2 9) on time; Data & AI: P3 (R5 6) late, P4 (8, 10) on time
    frame = metrics.delivery_to_satisfaction(con, per="delivery_team").set_index(["delivery_team", "group"])
    assert frame["n"].to_dict() == {("Cloud Delivery", "late or over budget"): 2, ("Cloud Delivery", "on time and on budget"): 1,
                                    ("Data & AI", "late or over budget"): 1, ("Data & AI", "on time and on budget"): 2}
    assert frame.loc[("Data & AI", "late or over budget"), "mean_score"] == 6


def test_an_answer_naming_its_project_counts_for_that_project_only(world_db, reader, tmp_path):
    # R1 names P2: it leaves P1's window; late: R2 9, R5 6; on time: R1 10, R2 9, R4 8, R6 10
    con = _world_changed(world_db, reader, tmp_path, "UPDATE fct_survey_response SET project_id = 'P-000002' "
                                                     "WHERE response_id = 'R_fixture000000001'")
    frame = metrics.delivery_to_satisfaction(con).set_index("group")
    assert frame.loc["late or over budget", ["n", "mean_score", "by_reference"]].tolist() == [2, 7.5, 0]
    assert frame.loc["on time and on budget", ["n", "mean_score", "by_reference"]].tolist() == [4, 9.25, 1]


def test_escalated_projects_against_the_others(con):
    # P1 (ESC-3) and P3 (ESC-1, ESC-2) were escalated: the same answers as late or over budget here
    frame = metrics.delivery_to_satisfaction(con, by="escalation").set_index("group")
    assert frame["n"].to_dict() == {"escalated": 3, "not escalated": 3}


def test_a_click_lists_the_answers_behind_the_bar(con):
    rows = metrics.answers_about_projects(con, Filters(), "nps", "late or over budget")
    assert rows["response_id"].str[-1].tolist() == ["1", "5", "2"]
    assert rows["project_id"].tolist() == ["P-000001", "P-000003", "P-000001"]
    assert set(rows["linked_by"]) == {"account window"}


def test_delivery_summary_has_the_shape_metrics_json_prints(con):
    summary = metrics.delivery_to_satisfaction_summary(con)
    assert set(summary) == {"nps", "csat"}
    assert set(summary["nps"]) == {"late_or_over_budget", "on_time_on_budget"}
    assert summary["nps"]["on_time_on_budget"] == {"n": 3, "mean_score": 9.0, "ci_low": pytest.approx(9 - 2.4841, abs=1e-3),
                                                   "ci_high": 10.0, "low_share": 0.0}  # 9 + 2.4841 is off the 0-10 scale
    assert summary["csat"]["on_time_on_budget"]["ci_low"] is None  # one answer: no interval


# --- CSAT wherever NPS is read -------------------------------------------------------------------
# CSAT answers: Acme 5 (15 Feb 2025) -> OPP002 50k; Beta 2 (10 Mar) -> none; Gamma 4 (1 Apr) -> OPP006 40k.

def test_rebusiness_by_csat_band_by_hand(con):
    frame = metrics.rebusiness_by_category(con, months=12, measure="csat").set_index("category")
    assert frame.loc["satisfied (4-5)", ["n", "rebought"]].tolist() == [2, 2]
    assert frame.loc["dissatisfied (1-2)", ["n", "rebought"]].tolist() == [1, 0]
    assert frame.loc["neutral (3)", "n"] == 0


def test_score_regression_on_csat_by_hand(con):
    # (5, 50k), (2, 0), (4, 40k): mean x 11/3, Sxx 14/3, Sxy 80,000 -> slope 80,000 / (14/3)
    fit = metrics.score_regression(con, months=12, measure="csat")
    assert (fit["n"], fit["slope"]) == (3, pytest.approx(80_000 * 3 / 14))
    assert "csat_band" in fit["points"]


def test_win_win_matrix_on_csat(con):
    # CSAT Acme 1.0, Beta 0.0, Gamma 1.0 against the 80% threshold; margins as in the NPS matrix
    accounts = metrics.win_win_accounts(con, measure="csat").set_index("account_name")
    assert accounts["csat"].to_dict() == {"Acme Corp": 1.0, "Beta Ltd": 0.0, "Gamma GmbH": 1.0}
    assert accounts["quadrant"].to_dict() == {"Acme Corp": "win-win", "Beta Ltd": "lose-lose", "Gamma GmbH": "win-win"}


def test_no_csat_answer_after_an_escalation_is_missing_not_zero(con):
    # every CSAT answer came before the escalations on its account (15 Feb, 10 Mar against 15 Mar, 10 Apr, 1 May)
    frame = metrics.escalation_aftermath(con, measure="csat")
    assert frame["next_answers"].tolist() == [0, 0]
    assert frame["next_csat"].isna().all()


def test_sold_vs_delivered_reads_csat(con):
    # no CSAT answer came within 6 months after a completed project: no satisfaction, not 0
    frame = metrics.sold_vs_delivered_by_rep(con, measure="csat")
    assert frame["answers_after"].tolist() == [0, 0] and frame["csat_after"].isna().all()


def test_account_health_on_csat(con):
    # as of 30 Jun 2026 Acme's only CSAT answer (Feb 2025) is older than 12 months: satisfaction and
    # trend are left out, not a neutral 50: (0.20 x 75 + 0.20 x 100 + 0.15 x 100) / 0.55 = 50 / 0.55
    acme = metrics.account_health(con, measure="csat").set_index("account_name").loc["Acme Corp"]
    assert acme["health"] == pytest.approx(50 / 0.55)
    assert acme["missing"] == "satisfaction, trend" and acme["pulled_down_by"] == "escalations"


def test_an_account_without_answers_is_not_pulled_down_by_satisfaction(con):
    # Beta as of 30 Jun 2026: no NPS answer in 12 months (R3, R5 are 2025) -> satisfaction and trend left
    # out; no escalation open or recent -> 100; P3 delivered 30 Jul 2025 at 25% -> 5 points short -> 83.33;
    # last contact 15 Apr 2025 (441 days) -> 0. (20 + 0.20 x 83.33 + 0) / 0.55 = 36.67 / 0.55
    beta = metrics.account_health(con).set_index("account_name").loc["Beta Ltd"]
    assert beta["health"] == pytest.approx((20 + 0.20 * 250 / 3) / 0.55)
    assert beta["missing"] == "satisfaction, trend" and math.isnan(beta["satisfaction_score"])
    assert (beta["pulled_down_by"], beta["at_risk_reasons"]) == ("engagement", "engagement 0/100")


def test_the_default_measure_has_more_answers(con):
    # all time: 6 NPS answers against 3 CSAT; Q1 2025: NPS R1, R3, R4 against CSAT 15 Feb, 10 Mar -> NPS
    assert metrics.default_measure(con) == "nps"
    assert metrics.default_measure(con, Filters(segments=("Mid-Market",))) == "nps"


# --- Partial data ---------------------------------------------------------------------------------

def _world_changed(world_db, reader, tmp_path, *statements):
    """A copy of the fixture world with ``statements`` run and the marts rebuilt."""
    from pipelines import marts

    db = tmp_path / "changed.duckdb"
    shutil.copy(world_db, db)
    with duckdb.connect(str(db)) as writable:
        for statement in statements:
            writable.execute(statement)
        marts.build(writable)
    return reader(db)


def test_loaded_sources_of_the_world_and_of_an_empty_warehouse(con, empty_db, reader):
    loaded = metrics.loaded_sources(con)
    assert {name for name, held in loaded.items() if not held} == {"project_references"}
    assert not any(metrics.loaded_sources(reader(empty_db)).values())


def test_figures_of_a_source_not_loaded_are_none_not_zero(world_db, reader, tmp_path):
    con = _world_changed(world_db, reader, tmp_path, "DELETE FROM fct_escalation", "UPDATE fct_opportunity SET lead_source = NULL")
    kpis = metrics.kpis(con)
    assert kpis["escalations"] == {"count": None, "with_sales_involved": None, "median_hours_to_resolve": None}
    assert kpis["delivery_leads"]["count"] is None and kpis["won_amount"] == 290_000


def test_health_leaves_out_a_source_not_loaded_and_reweights(world_db, reader, tmp_path):
    # no activities: engagement is left out. The data date moves to 1 Oct 2025 (R6): Acme's R1 (10) and
    # R2 (9) are promoters in either half-year -> satisfaction 100, trend flat 50; ESC-3 open -> 75;
    # P1 and P2 35% -> 100: (30 + 7.5 + 15 + 20) / 0.85; no account is at risk for engagement
    con = _world_changed(world_db, reader, tmp_path, "DELETE FROM fct_activity")
    health = metrics.account_health(con).set_index("account_name")
    assert health.loc["Acme Corp", "health"] == pytest.approx(72.5 / 0.85)
    assert set(health["missing"]) == {"engagement"} and health["engagement_score"].isna().all()
    assert metrics.missing_components(con) == ("engagement",)
    assert not health["at_risk_reasons"].str.contains("engagement").any()


def test_health_reasons_cite_their_evidence(con):
    # as of 30 Jun 2025 Beta's NPS answers were R3 (3) and R5 (6, 'Slow answers'): NPS -100 -> 0/100
    health = metrics.account_health(con, Period(date(2025, 1, 1), date(2025, 6, 30))).set_index("account_name")
    assert health.loc["Beta Ltd", "at_risk_reasons"] == "satisfaction 0/100"
    assert health.loc["Beta Ltd", "evidence"] == "NPS -100 from 2 answers in 12 months; latest low-score comment: 'Slow answers'"
    assert health.loc["Acme Corp", "evidence"] == "no contact for 140 days"  # QBR 1 Jul 2025 is after; report 10 Feb


# --- Periods ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("choice,period", [
    ("Last 3 months", Period(date(2026, 4, 1), date(2026, 6, 15))),
    ("Last 12 months", Period(date(2025, 7, 1), date(2026, 6, 15))),
    ("Year to date", Period(date(2026, 1, 1), date(2026, 6, 15), year_to_date=True)),
    ("All time", Period()),
])
def test_period_choices_never_run_past_the_data_date(choice, period):
    assert metrics.period_of(choice, date(2026, 6, 15)) == period


def test_year_to_date_compares_with_the_same_dates_a_year_earlier():
    ytd = metrics.period_of("Year to date", date(2026, 6, 30))
    assert ytd.previous() == Period(date(2025, 1, 1), date(2025, 6, 30), year_to_date=True)


def test_a_window_ending_inside_a_month_compares_with_the_same_dates_earlier():
    last_3 = metrics.period_of("Last 3 months", date(2026, 6, 15))
    assert last_3.is_partial(date(2026, 6, 15))
    assert last_3.previous() == Period(date(2026, 1, 1), date(2026, 3, 15))


def test_a_partial_last_month_and_quarter_are_marked(world_db, reader, tmp_path):
    # an NPS answer on 15 Jul 2026 moves the data date into July: July and 2026Q3 are partial. The
    # year to 15 Jul 2026 won OPP006 40k (Gamma); the year before OPP001, 002, 003, 005 = 250k
    con = _world_changed(world_db, reader, tmp_path, """INSERT INTO fct_survey_response (response_id, account_id, responded_at,
                         survey_type, score) VALUES ('R_late', '0015g00000ACME01AAA', TIMESTAMP '2026-07-15 10:00:00', 'nps', 9)""")
    trend = metrics.monthly_trend(con).set_index("month")
    assert trend["partial"].sum() == 1 and trend.loc["2026-07-01", "partial"]
    growth = metrics.earned_growth(con, Period(date(2026, 7, 1), date(2026, 9, 30))).set_index("quarter")
    assert growth.loc["2026Q3", ["prior_amount", "retained_amount", "partial"]].tolist() == [250_000, 40_000, True]


# --- The chain in words -------------------------------------------------------------------------------

CAUSAL = ("cause", "because", "drive", "lead to", "leads to", "result in", "due to", "make", "boost", "improve")


def test_chain_sentences_give_effect_interval_n_and_verdict(con):
    links = metrics.chain_sentences(con)
    assert [link["link"] for link in links] == metrics.LINKS
    assert [link["verdict"] for link in links] == ["too few answers to tell", "too few answers to tell", "too few projects to tell"]
    # delivery: 25/3 against 9 (n 3 and 3); re-business: 0 of 2 detractors against 1 of 1 promoter
    assert "scored 8.3 on average against 9.0" in links[0]["sentence"] and "n = 3 and 3 answers" in links[0]["sentence"]
    assert links[1]["effect"] == -1 and (links[1]["n_a"], links[1]["n_b"]) == (2, 1)
    for link in links:
        assert not any(word in link["sentence"].lower() for word in CAUSAL)


def test_chain_sentences_say_what_to_load_on_an_empty_warehouse(empty_db, reader):
    links = metrics.chain_sentences(reader(empty_db))
    assert [link["verdict"] for link in links] == ["no data"] * 3
    assert links[0]["sentence"].startswith("Delivery -> satisfaction: no data: load a project export")


@pytest.mark.parametrize("low,high,n,expected", [
    (-3, -1, 50, "clearly lower"), (1, 3, 50, "clearly higher"), (-1, 2, 50, "no clear difference"),
    (-3, -1, 9, "too few answers to tell"),
])
def test_the_interval_decides_the_verdict(low, high, n, expected):
    assert metrics.verdict({"effect": (low + high) / 2, "ci_low": low, "ci_high": high, "n_a": n, "n_b": 50}) == expected


def test_accounts_that_turned_at_risk_since_a_day(con):
    # 31 Mar -> 30 Jun 2025: Gamma's last contact 1 Mar (121 days: engagement 59/150 -> 39) and Acme's
    # 10 Feb (140 days -> 27) fall under 40; Beta was at risk already (NPS -100 from R3)
    turned = metrics.turned_at_risk(con, Period(None, date(2025, 6, 30)), since=date(2025, 3, 31)).set_index("account_name")
    assert sorted(turned.index) == ["Acme Corp", "Gamma GmbH"]
    assert turned.loc["Gamma GmbH", ["at_risk_reasons", "evidence"]].tolist() == ["engagement 39/100", "no contact for 121 days"]


def test_health_over_time_has_one_point_per_month_end(con):
    history = metrics.health_over_time(con, months=3)
    assert sorted(set(history["as_of"])) == [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]
    acme = history[history["account_name"] == "Acme Corp"].set_index("as_of")["health"]
    assert acme[date(2026, 6, 30)] == pytest.approx(80 / 0.85)  # as test_account_health_of_acme_by_hand


def test_the_issue_14_metric_queries_transpile_to_spark(con):
    """As tests/test_structure.py holds the older metrics: every query these run is portable SQL."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    from tests.test_structure import RecordingConnection

    recording = RecordingConnection(con)
    chosen = Filters(Period(date(2025, 1, 1), date(2025, 12, 31)), segments=("SMB",), teams=("Data & AI",), reps=("Rita Rep",))
    for measure in metrics.MEASURES:
        metrics.delivery_to_satisfaction(recording, chosen, measure, per="delivery_manager", linked_by="account window")
        metrics.delivery_effect(recording, chosen, measure, by="escalation")
        metrics.answers_about_projects(recording, chosen, measure, "late or over budget")
        metrics.chain_sentences(recording, chosen, measure)
        metrics.account_health(recording, chosen, measure=measure)
        metrics.escalation_aftermath(recording, chosen, measure)
        metrics.sold_vs_delivered_by_rep(recording, chosen, measure)
        metrics.win_win_accounts(recording, chosen, measure=measure)
        metrics.rebusiness_by_category(recording, chosen, 12, measure)
    metrics.default_measure(recording, chosen)
    metrics.kpi_changes(recording, chosen)
    metrics.loaded_sources(recording)
    for sql in recording.queries:
        sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)


def test_a_csat_only_warehouse_without_activities_or_budgets(world_db, reader, tmp_path):
    """As a firm that measures CSAT and exports no activities or budgets: missing, never 0 or +0.0%."""
    con = _world_changed(world_db, reader, tmp_path, "DELETE FROM fct_survey_response WHERE survey_type = 'nps'",
                         "DELETE FROM fct_activity", "UPDATE fct_project SET budget_cost = NULL")
    kpis = metrics.kpis(con)
    assert (kpis["nps"], kpis["csat_pct"], kpis["responses"]) == (None, pytest.approx(2 / 3), 3)
    assert metrics.default_measure(con) == "csat"
    reps = metrics.sold_vs_delivered_by_rep(con, measure="csat")
    assert reps["n_budget"].tolist() == [0, 0] and reps["budget_variance"].isna().all()
    # judged on schedule alone: P1 and P3 finished late, P2 and P4 on time -> the same groups as with budgets
    frame = metrics.delivery_to_satisfaction(con, measure="csat").set_index("group")
    assert frame["n"].to_dict() == {"late or over budget": 2, "on time and on budget": 1}
    health = metrics.account_health(con, measure="csat")
    assert metrics.missing_components(con, "csat") == ("engagement",)
    assert health["missing"].str.contains("engagement").all() and not health["at_risk_reasons"].str.contains("engagement").any()
    delivery = metrics.chain_sentences(con)[0]  # the CSAT answers, the measure with answers
    assert (delivery["verdict"], delivery["n_a"], delivery["n_b"]) == ("too few answers to tell", 2, 1)


def test_kpi_changes_say_whether_a_delta_is_within_the_noise(con):
    # Q2 against Q1 2025. NPS: R5 (6) -> -100 against R1 10, R3 3, R4 8 -> 0; variance (2/3 - 0) / 3 on
    # Q1's side, 0 on Q2's (one answer): -100 +- 1.96 x sqrt(2/9) x 100 = -100 +- 92.39, clear of 0.
    # CSAT: Gamma 4 (1/1) against Acme 5, Beta 2 (1/2): +0.5, within the noise. Delivery leads:
    # OPP004 lost (0/1) against OPP001 won (1/1).
    changes = metrics.kpi_changes(con, Period(date(2025, 4, 1), date(2025, 6, 30)))
    assert (changes["nps"]["effect"], changes["nps"]["within_noise"]) == (-100, False)
    assert (changes["nps"]["ci_low"], changes["nps"]["ci_high"]) == pytest.approx((-192.39, -7.61), abs=0.01)
    assert (changes["csat_pct"]["effect"], changes["csat_pct"]["within_noise"]) == (0.5, True)
    assert changes["delivery_leads.win_rate"]["effect"] == -1
    assert metrics.kpi_changes(con, Period()) == {}


def test_the_account_timeline_stops_at_the_data_date(world_db, reader, tmp_path):
    # an open deal expected to close 30 Sep 2026: after the data date (30 Jun 2026, unchanged: an
    # expected close is no client event yet), so Beta's timeline keeps its 11 events
    con = _world_changed(world_db, reader, tmp_path, """INSERT INTO fct_opportunity (opportunity_id, account_id, stage,
                         is_won, is_closed, created_date, close_date) VALUES ('OPP-LATER', '0015g00000BETA01AAA',
                         'Negotiation', FALSE, FALSE, DATE '2026-06-01', DATE '2026-09-30')""")
    assert metrics.data_date(con) == date(2026, 6, 30)
    timeline = metrics.account_timeline(con, "0015g00000BETA01AAA")
    assert len(timeline) == 11 and "OPP-LATER" not in set(timeline["ref"])
    assert timeline["day"].max().date() <= date(2026, 6, 30)


def test_a_chain_link_with_nothing_on_either_side_in_the_period_says_no_data(con):
    # January 2024 precedes every deal, project and answer of the fixture world: sources loaded, n = 0.
    links = metrics.chain_sentences(con, Period(date(2024, 1, 1), date(2024, 1, 31)), measure="nps")
    assert [link["verdict"] for link in links] == ["no data"] * 3
    assert links[1]["sentence"] == ("Satisfaction -> re-business: no data in this period "
                                    "(no NPS answers whose 12 months have passed by the data date).")
    assert all(link["n_a"] is None for link in links)


@pytest.mark.parametrize("choice", ["Last 3 months", "Last 12 months", "All time"])
@pytest.mark.parametrize("measure", ["nps", "csat"])
def test_answers_after_a_reps_projects_count_once_per_rep_as_distinct_pairs_do(demo_db, reader, choice, measure):
    # sold_vs_delivered_by_rep counts each rep's answers on the pair without an earlier pair in the
    # period (mart_project_answer.previous_end_date); the definition is the distinct answers of the pairs.
    con = reader(demo_db)
    period = metrics.period_of(choice, metrics.data_date(con))
    shared = con.execute("""SELECT count(*) FROM mart_project_answer WHERE previous_end_date IS NOT NULL
                            AND actual_end_date BETWEEN ? AND ?""", period.params).fetchone()[0]
    assert shared, "answers that followed several projects of one rep in the period: the case counted once"
    expected = con.execute("""SELECT COALESCE(sold_by, 'unknown') AS sales_rep, count(DISTINCT response_id) AS answers
                              FROM mart_project_answer WHERE survey_type = ? AND actual_end_date BETWEEN ? AND ?
                              GROUP BY 1""", [measure] + period.params).df().set_index("sales_rep")["answers"]
    counted = metrics.sold_vs_delivered_by_rep(con, period, measure).set_index("sales_rep")["answers_after"]
    assert counted[counted > 0].sort_index().to_dict() == expected.sort_index().to_dict()


def test_escalation_sellers_are_each_sales_involved_escalation_with_every_rep_who_sold_to_its_account(demo_db, reader):
    # sales_governance counts a rep's escalations from mart_escalation_seller: the rows must be the
    # join it replaces, every sales-involved escalation with each distinct owner of its account's deals.
    con = reader(demo_db)
    rows = "SELECT escalation_id, sales_rep FROM mart_escalation_seller"
    live = """SELECT DISTINCT e.escalation_id, o.owner FROM mart_escalation AS e
              JOIN fct_opportunity AS o ON o.account_id = e.account_id WHERE e.sales_involved"""
    assert con.execute(f"SELECT count(*) FROM ({rows})").fetchone()[0] > 0
    assert con.execute(f"SELECT count(*) FROM (({rows}) EXCEPT ALL ({live}))").fetchone()[0] == 0
    assert con.execute(f"SELECT count(*) FROM (({live}) EXCEPT ALL ({rows}))").fetchone()[0] == 0


def test_won_deals_are_every_won_deal_once_with_one_number_per_account(demo_db, reader):
    # earned_growth groups mart_won_deal's rows by account_number: it must number accounts one to
    # one and hold every won deal's amount.
    con = reader(demo_db)
    deals, amount, numbers, accounts = con.execute("""SELECT count(*), sum(amount), count(DISTINCT account_number),
                                                             count(DISTINCT account_id) FROM mart_won_deal""").fetchone()
    assert (deals, amount) == con.execute("SELECT count(*), sum(amount) FROM fct_opportunity WHERE is_won").fetchone()
    assert numbers == accounts == con.execute("SELECT count(DISTINCT (account_number, account_id)) FROM mart_won_deal").fetchone()[0]
