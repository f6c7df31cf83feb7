"""Re-business and margin: re-business against first-time business, sold vs delivered (per
sales rep, and by whether the seller sent status reports), sales governance; the projects
behind each bar."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import Filters, Period, named
from pipelines.metrics.satisfaction import check_measure, satisfaction_of
from pipelines.metrics.statistics import BUDGET_VARIANCE_SCALE, MARGIN_SCALE, t_interval

define("rebusiness_vs_first_time", (
    "Re-business (the account had won before) against first-time business: deals won in the period, "
    "and the delivered margin of their projects completed in the period (pooled, and the mean project "
    "margin with its 95% t-interval)."
))


def rebusiness_vs_first_time(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Re-business against first-time business: deals won and amount (by close date in the
    period) and the delivered margin of their projects completed in the period, with the
    t 95% interval of the mean project margin."""
    filters = Filters.of(filters)
    where, params = filters.within("deal", "close_date")
    deals = con.execute(
        f"""SELECT is_rebusiness, count(*) AS won_deals, CAST(sum(amount) AS DOUBLE) AS won_amount
            FROM mart_opportunity WHERE is_won AND {where}
            GROUP BY 1""",
        params,
    ).df()
    where, params = filters.within("project", "actual_end_date")
    # Per group in SQL: what the t-interval of the mean project margin and the pooled margin need.
    projects = con.execute(
        f"""SELECT COALESCE(is_rebusiness, FALSE) AS is_rebusiness, count(*) AS projects, count(margin) AS margins,
                   avg(margin) AS margin_mean, stddev_samp(margin) AS margin_std,
                   sum(CAST(revenue AS DOUBLE)) AS revenue, sum(CAST(profit AS DOUBLE)) AS profit
            FROM mart_project WHERE is_delivered AND {where}
            GROUP BY 1""",
        params,
    ).df().set_index("is_rebusiness").reindex([True, False]).fillna({"projects": 0, "margins": 0, "revenue": 0, "profit": 0})
    rows = []
    for flag, label in ((True, "re-business"), (False, "first-time business")):
        deal, mine = deals[deals["is_rebusiness"] == flag], projects.loc[flag]
        low, high = t_interval(mine["margin_mean"], mine["margin_std"], mine["margins"], scale=MARGIN_SCALE)
        rows.append({"business": label, "won_deals": int(deal["won_deals"].sum()), "won_amount": float(deal["won_amount"].sum()),
                     "projects": int(mine["projects"]), "margin": mine["profit"] / mine["revenue"] if mine["revenue"] else math.nan,
                     "mean_project_margin": mine["margin_mean"], "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


define("sold_vs_delivered", (
    "Projects completed in the period, by the sales rep who sold them: mean budget variance (actual "
    "/ budget cost - 1, over the projects with a budget) and schedule slip (days late), each with a 95% "
    "t-interval, and the satisfaction (NPS or CSAT) of the account's answers within 6 months after those "
    "projects ended."
))
# How long after a project ends the account's answers count as "the satisfaction that followed".
FOLLOWED_MONTHS = 6


def _followed(con, filters: Filters, measure: str) -> pd.DataFrame:
    """The answers that followed each rep's projects, each counted once per rep.

    mart_project_answer pairs every delivered project with the answers of FOLLOWED_MONTHS after
    its end. An answer counts in the period on its pair whose previous pair (same seller and
    answer) ended before the period: no DISTINCT over the pairs. That is exact while the filters
    keep or drop all of a seller's pairs of an answer together (a period, an account's dimensions,
    which its answers share); a team or rep filter can split them, so then pairs are counted by DISTINCT.
    """
    where, params = filters.within("project", "actual_end_date")
    points = """count(*) AS answers_after,
                   count(CASE WHEN nps_points = 1 THEN 1 END) AS promoters_after,
                   count(CASE WHEN nps_points = -1 THEN 1 END) AS detractors_after,
                   count(CASE WHEN csat_points = 1 THEN 1 END) AS satisfied_after"""
    if filters.teams or filters.reps:
        sql = f"""SELECT seller AS sold_by, {points}
            FROM (SELECT DISTINCT COALESCE(sold_by, 'unknown') AS seller, response_id, nps_points, csat_points
                  FROM mart_project_answer WHERE survey_type = ? AND {where})
            GROUP BY seller"""
    else:
        sql = f"""SELECT COALESCE(sold_by, 'unknown') AS sold_by, {points}
            FROM mart_project_answer
            WHERE survey_type = ? AND {where} AND COALESCE(previous_end_date < ?, TRUE)
            GROUP BY 1"""
        params = params + [filters.period.params[0]]
    return con.execute(sql, [measure] + params).df().set_index("sold_by")


def sold_vs_delivered_by_rep(con, filters: Filters | Period = Filters(), measure: str = "nps") -> pd.DataFrame:
    """Per sales rep, the projects they sold that completed in the period: mean budget variance
    (n_budget projects with a budget; NaN when none has one, never 0) and schedule slip (t 95%),
    delivered margin, and the satisfaction of the account's ``measure`` answers within 6 months
    after those projects ended (satisfaction_after; also named nps_after or csat_after)."""
    check_measure(measure)
    filters = Filters.of(filters)
    where, params = filters.within("project", "actual_end_date")
    # Per rep in SQL: the means, spreads and counts the t-intervals need, ordered by rep as a
    # pandas groupby would give them (the ties of the final sort by n keep that order).
    reps = con.execute(
        f"""SELECT COALESCE(sold_by, 'unknown') AS sold_by, count(*) AS n, count(budget_variance) AS n_budget,
                   avg(budget_variance) AS variance_mean, stddev_samp(budget_variance) AS variance_std,
                   avg(schedule_slip_days) AS slip_mean, stddev_samp(schedule_slip_days) AS slip_std,
                   count(schedule_slip_days) AS n_slip,
                   sum(CAST(revenue AS DOUBLE)) AS revenue, sum(CAST(profit AS DOUBLE)) AS profit
            FROM mart_project WHERE is_delivered AND {where}
            GROUP BY 1 ORDER BY 1""",
        params,
    ).df().set_index("sold_by")
    followed = _followed(con, filters, measure)
    variance_low, variance_high = t_interval(reps["variance_mean"], reps["variance_std"], reps["n_budget"],
                                             scale=BUDGET_VARIANCE_SCALE)
    slip_low, slip_high = t_interval(reps["slip_mean"], reps["slip_std"], reps["n_slip"])
    revenue = reps["revenue"].fillna(0)
    frame = pd.DataFrame({"n": reps["n"], "n_budget": reps["n_budget"],
                          "budget_variance": reps["variance_mean"], "variance_ci_low": variance_low,
                          "variance_ci_high": variance_high,
                          "slip_days": reps["slip_mean"], "slip_ci_low": slip_low, "slip_ci_high": slip_high,
                          "margin": reps["profit"].fillna(0) / revenue.where(revenue != 0)})
    frame = frame.join(followed).fillna({name: 0 for name in followed.columns}).astype({name: int for name in followed.columns})
    frame = frame.rename_axis("sales_rep").reset_index()
    counts = frame[["answers_after", "promoters_after", "detractors_after", "satisfied_after"]]
    scored = satisfaction_of(counts.set_axis(["answers", "promoters", "detractors", "satisfied"], axis=1), measure)
    for suffix in ("", "_ci_low", "_ci_high"):
        frame[f"satisfaction_after{suffix}"] = frame[f"{measure}_after{suffix}"] = scored[f"satisfaction{suffix}"]
    return frame.sort_values("n", ascending=False, ignore_index=True)


def sold_vs_delivered_by_status_reports(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Completed projects split by whether their seller sent status reports: slip and overrun."""
    where, params = Filters.of(filters).within("project", "actual_end_date")
    return con.execute(
        f"""SELECT seller_sent_status_reports, count(*) AS projects,
                  avg(schedule_slip_days) AS mean_slip_days,
                  avg(budget_variance) AS mean_budget_variance,
                  sum(profit) / NULLIF(sum(revenue), 0) AS margin
           FROM mart_project WHERE is_delivered AND {where}
           GROUP BY 1 ORDER BY 1""",
        params,
    ).df()


define("sales_governance", (
    "Per sales rep (or sales team: the sum of its reps) in the period: status reports sent, joint "
    "engagements with delivery, sales meetings with delivery staff present, and escalations with sales "
    "involved on the accounts they sold to. A rep's team is the one most of their deals name."
))
# The team of a rep whose deals name none (a CRM export without the owner's team or role).
NO_TEAM = "no team recorded"


def sales_governance(con, filters: Filters | Period = Filters(), by: str = "rep") -> pd.DataFrame:
    """Per sales rep (or per sales team: the reps' sums) in the period: status reports sent,
    joint engagements, sales meetings with delivery staff present, and escalations with sales
    involved on the accounts they sold to. A rep's team is the one most of their deals name."""
    filters = Filters.of(filters)
    where, params = filters.within("account", "activity_date")
    activities = con.execute(
        f"""SELECT sales_participant AS sales_rep,
                   sum(CASE WHEN activity_type = 'status_report' THEN 1 ELSE 0 END) AS status_reports,
                   sum(CASE WHEN activity_type = 'joint_engagement' THEN 1 ELSE 0 END) AS joint_engagements,
                   sum(CASE WHEN activity_type = 'sales_meeting' AND delivery_participant IS NOT NULL THEN 1 ELSE 0 END)
                     AS meetings_with_delivery
            FROM fct_activity
            WHERE sales_participant IS NOT NULL AND {where}
            GROUP BY 1""",
        params,
    ).df()
    # mart_escalation_seller holds each escalation with sales involved once per rep who sold to its account.
    where, params = filters.within("escalation", "opened_date")
    escalations = con.execute(
        f"""SELECT sales_rep, count(*) AS escalations_with_sales
            FROM mart_escalation_seller WHERE {where}
            GROUP BY 1""",
        params,
    ).df()
    frame = activities.merge(escalations, on="sales_rep", how="outer")
    if filters.reps:
        frame = frame[frame["sales_rep"].isin(filters.reps)]
    counts = ["status_reports", "joint_engagements", "meetings_with_delivery", "escalations_with_sales"]
    frame[counts] = frame[counts].fillna(0).astype(int)
    if by == "team":
        teams = con.execute("SELECT owner AS sales_rep, mode(sales_team) AS sales_team FROM fct_opportunity "
                            "WHERE sales_team IS NOT NULL GROUP BY owner").df()
        frame = (frame.merge(teams, on="sales_rep", how="left").fillna({"sales_team": NO_TEAM})
                 .groupby("sales_team", as_index=False).agg(reps=("sales_rep", "count"), **{c: (c, "sum") for c in counts}))
    return frame.sort_values("status_reports", ascending=False, ignore_index=True)


# Project groupings that drill: re-business or not (rebusiness_vs_first_time), the rep who sold it (sold_vs_delivered_by_rep).
_PROJECT_DRILLS = {"business": "CASE WHEN COALESCE(is_rebusiness, FALSE) THEN 're-business' ELSE 'first-time business' END",
                   "sales_rep": "COALESCE(sold_by, 'unknown')"}


def projects_behind(con, filters: Filters | Period, by: str, group: str) -> pd.DataFrame:
    """Drill-down: the projects completed in the period behind one bar of ``rebusiness_vs_first_time``
    (by "business") or ``sold_vs_delivered_by_rep`` (by "sales_rep"), latest first."""
    filters = Filters.of(filters)
    where, params = filters.within("project", "actual_end_date")
    frame = con.execute(
        f"""SELECT project_id, account_id, sold_by AS sales_rep, delivery_team, delivery_manager, actual_end_date,
                   CAST(revenue AS DOUBLE) AS revenue, margin, budget_variance, schedule_slip_days
            FROM mart_project
            WHERE {_PROJECT_DRILLS[by]} = ? AND is_delivered AND {where}
            ORDER BY actual_end_date DESC, project_id""",
        [group] + params,
    ).df()
    return named(con, frame)
