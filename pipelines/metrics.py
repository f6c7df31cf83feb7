"""Every metric of DOMAIN.md, defined once. The CLI, the pages and the exports call these.

Each function takes a DuckDB connection (or cursor) and a Period and reads the marts with
bound parameters; nothing a user types is ever pasted into SQL text. Conventions:
rates are fractions 0-1, NPS is -100..100, money is in the CRM's currency.
Margins are always delivered margins of projects *completed* in the period (a running
project's cost is not final); deal figures follow the deal's close date; survey figures
the answer date; escalations the date they were opened.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

# Bounds standing in for "no limit" so every query binds the same two parameters.
EARLIEST, LATEST = date(1900, 1, 1), date(9999, 12, 31)
# Outcome windows offered for the satisfaction -> profit link, in months after the answer.
OUTCOME_WINDOWS = (3, 6, 12)
CONFIDENCE = 0.95

DEFINITIONS = {
    "nps": "NPS = % promoters (9-10) - % detractors (0-6) of NPS answers in the period; -100..100.",
    "csat_pct": "CSAT = share of CSAT answers (1-5 scale) scoring 4 or 5.",
    "responses": "Survey answers (NPS and CSAT) dated in the period.",
    "won_amount": "Sum of the sell price of deals won with a close date in the period.",
    "rebusiness_rate": (
        "Re-business = a won deal whose account already had a won deal that closed earlier. "
        "Rate = re-business won amount / all won amount, deals closed in the period."
    ),
    "rebusiness_margin": "Delivered margin of completed projects (completed in the period) of re-business deals.",
    "delivered_margin": (
        "Delivered margin = sum(revenue - actual cost) / sum(revenue) of projects completed in the period."
    ),
    "delivery_leads": (
        "Delivery-generated leads = deals with lead source 'delivery' closing in the period: count, "
        "won, win rate = won / closed, net sales = won amount, margin = delivered margin of their "
        "projects completed in the period."
    ),
    "escalations": (
        "Escalations opened in the period; with sales involved; median hours from opened to "
        "resolved of those resolved."
    ),
    "nps_rebusiness_link": (
        "For each NPS answer: did the same account win re-business within the next N months? "
        "Only answers whose N-month window ends by the data date count. Bars show the share with "
        "a 95% Wilson interval and n answers; answers from one account are not independent, so "
        "read the intervals as a lower bound on uncertainty."
    ),
}


@dataclass(frozen=True)
class Period:
    """Inclusive date range; None means open-ended."""

    start: date | None = None
    end: date | None = None

    @property
    def params(self) -> list[date]:
        return [self.start or EARLIEST, self.end or LATEST]

    def previous(self) -> Period | None:
        """The period just before this one: the same number of whole months when it is whole
        months (Q1 -> Q4), else the same number of days. None when open-ended."""
        if self.start is None or self.end is None:
            return None
        before = self.start - timedelta(days=1)
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            return period_ending(before, months)
        return Period(before - (self.end - self.start), before)


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the month's last day where it has no 31st."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def answers_followed_into(period: Period, months: int) -> Period:
    """The answer dates whose ``months``-month outcome window ends inside ``period``.

    Answers given in a recent period cannot show what followed yet; this reads the period's
    re-business against the answers given ``months`` months earlier.
    """
    return Period(*(None if day is None else add_months(day, -months) for day in (period.start, period.end)))


def _one(con, sql: str, params: list) -> dict:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return {n: _plain(v) for n, v in zip(names, row)}


def _plain(value):
    """DuckDB decimals and NaN become JSON-friendly floats / None."""
    if value is None:
        return None
    if hasattr(value, "as_tuple"):  # Decimal
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


SURVEY_KPIS = """
SELECT
  count(*) AS responses,
  100.0 * (sum(CASE WHEN survey_type = 'nps' AND score >= 9 THEN 1 ELSE 0 END)
         - sum(CASE WHEN survey_type = 'nps' AND score <= 6 THEN 1 ELSE 0 END))
        / NULLIF(sum(CASE WHEN survey_type = 'nps' THEN 1 ELSE 0 END), 0) AS nps,
  1.0 * sum(CASE WHEN survey_type = 'csat' AND score >= 4 THEN 1 ELSE 0 END)
        / NULLIF(sum(CASE WHEN survey_type = 'csat' THEN 1 ELSE 0 END), 0) AS csat_pct
FROM mart_response_outcome
WHERE answer_date BETWEEN ? AND ?
"""

DEAL_KPIS = """
SELECT
  sum(CASE WHEN is_won THEN amount ELSE 0 END) AS won_amount,
  CAST(sum(CASE WHEN is_won AND is_rebusiness THEN amount ELSE 0 END) AS DOUBLE)
    / NULLIF(CAST(sum(CASE WHEN is_won THEN amount ELSE 0 END) AS DOUBLE), 0) AS rebusiness_rate
FROM mart_opportunity
WHERE close_date BETWEEN ? AND ?
"""

MARGIN_KPIS = """
SELECT
  sum(revenue - actual_cost) / NULLIF(sum(revenue), 0) AS delivered_margin,
  sum(CASE WHEN is_rebusiness THEN revenue - actual_cost END)
    / NULLIF(sum(CASE WHEN is_rebusiness THEN revenue END), 0) AS rebusiness_margin,
  sum(CASE WHEN lead_source = 'delivery' THEN revenue - actual_cost END)
    / NULLIF(sum(CASE WHEN lead_source = 'delivery' THEN revenue END), 0) AS delivery_margin
FROM mart_project
WHERE is_delivered AND actual_end_date BETWEEN ? AND ?
"""

DELIVERY_LEAD_KPIS = """
SELECT
  count(*) AS count,
  COALESCE(sum(CASE WHEN is_won THEN 1 ELSE 0 END), 0) AS won,
  1.0 * sum(CASE WHEN is_won THEN 1 ELSE 0 END)
      / NULLIF(sum(CASE WHEN is_closed THEN 1 ELSE 0 END), 0) AS win_rate,
  COALESCE(sum(CASE WHEN is_won THEN amount END), 0) AS net_sales
FROM mart_opportunity
WHERE lead_source = 'delivery' AND close_date BETWEEN ? AND ?
"""

ESCALATION_KPIS = """
SELECT
  count(*) AS count,
  COALESCE(sum(CASE WHEN sales_involved THEN 1 ELSE 0 END), 0) AS with_sales_involved,
  median(hours_to_resolve) AS median_hours_to_resolve
FROM mart_escalation
WHERE CAST(opened_at AS DATE) BETWEEN ? AND ?
"""


def kpis(con, period: Period = Period()) -> dict:
    """The headline KPIs with the stable keys documented in the README."""
    params = period.params
    survey = _one(con, SURVEY_KPIS, params)
    deals = _one(con, DEAL_KPIS, params)
    margins = _one(con, MARGIN_KPIS, params)
    leads = _one(con, DELIVERY_LEAD_KPIS, params)
    leads["margin"] = margins.pop("delivery_margin")
    escalations = _one(con, ESCALATION_KPIS, params)
    return {
        "nps": survey["nps"],
        "csat_pct": survey["csat_pct"],
        "responses": survey["responses"],
        "rebusiness_rate": deals["rebusiness_rate"],
        "rebusiness_margin": margins["rebusiness_margin"],
        "delivered_margin": margins["delivered_margin"],
        "won_amount": deals["won_amount"] or 0.0,
        "delivery_leads": {k: leads[k] for k in ("count", "won", "win_rate", "net_sales", "margin")},
        "escalations": escalations,
    }


def data_date(con) -> date | None:
    """The latest dated event in the warehouse (None when it is empty)."""
    try:
        row = con.execute("SELECT data_date FROM mart_data_date").fetchone()
    except Exception:  # a warehouse built before any data has no marts yet
        return None
    return row[0] if row else None


def wilson_interval(successes, trials, confidence: float = CONFIDENCE):
    """Wilson score interval (statsmodels); better than the normal one near 0 and 1 and small n."""
    from statsmodels.stats.proportion import proportion_confint

    return proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")


def nps_interval(promoters, detractors, answers, confidence: float = CONFIDENCE):
    """NPS and its normal-approximation interval, on the -100..100 scale.

    Each answer scores +1 (promoter), 0 or -1 (detractor); NPS is 100 x their mean, so its
    variance is (share promoters + share detractors - (NPS/100)^2) / n.
    """
    from scipy.stats import norm

    promoters, detractors, answers = (pd.Series(x, dtype=float) for x in (promoters, detractors, answers))
    answers = answers.where(answers > 0)
    score = (promoters - detractors) / answers
    spread = norm.ppf(0.5 + confidence / 2) * ((promoters + detractors) / answers - score**2).clip(lower=0).pow(0.5) / answers.pow(0.5)
    return 100 * score, 100 * (score - spread).clip(lower=-1), 100 * (score + spread).clip(upper=1)


def _with_intervals(frame: pd.DataFrame, successes: str, trials: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["rate"] = frame[successes] / frame[trials].where(frame[trials] > 0)
    low, high = wilson_interval(frame[successes].to_numpy(), frame[trials].clip(lower=1).to_numpy())
    frame["ci_low"], frame["ci_high"] = low, high
    frame.loc[frame[trials] == 0, ["rate", "ci_low", "ci_high"]] = float("nan")
    return frame


NPS_CATEGORIES = ["promoter", "passive", "detractor"]


def rebusiness_by_nps_category(con, period: Period = Period(), months: int = 12) -> pd.DataFrame:
    """Share of NPS answers followed by re-business within `months`, per category, with 95% CI."""
    if months not in OUTCOME_WINDOWS:
        raise ValueError(f"months must be one of {OUTCOME_WINDOWS}")
    frame = con.execute(
        f"""SELECT nps_category AS category, count(*) AS n,
                   sum(CASE WHEN deals_{months}m > 0 THEN 1 ELSE 0 END) AS rebought
            FROM mart_response_outcome
            WHERE survey_type = 'nps' AND window_complete_{months}m AND answer_date BETWEEN ? AND ?
            GROUP BY nps_category""",
        period.params,
    ).df()
    frame = pd.DataFrame({"category": NPS_CATEGORIES}).merge(frame, on="category", how="left")
    frame[["n", "rebought"]] = frame[["n", "rebought"]].fillna(0).astype(int)
    return _with_intervals(frame, "rebought", "n")


def lead_source_performance(con, period: Period = Period()) -> pd.DataFrame:
    """Per lead source: deals, won, win rate (with 95% CI), net sales, and delivered margin."""
    deals = con.execute(
        """SELECT COALESCE(lead_source, 'unknown') AS lead_source, count(*) AS deals,
                  sum(CASE WHEN is_closed THEN 1 ELSE 0 END) AS closed,
                  sum(CASE WHEN is_won THEN 1 ELSE 0 END) AS won,
                  COALESCE(sum(CASE WHEN is_won THEN amount END), 0) AS net_sales,
                  median(CASE WHEN is_closed THEN cycle_days END) AS median_cycle_days
           FROM mart_opportunity WHERE close_date BETWEEN ? AND ?
           GROUP BY 1""",
        period.params,
    ).df()
    margins = con.execute(
        """SELECT COALESCE(lead_source, 'unknown') AS lead_source,
                  sum(revenue - actual_cost) / NULLIF(sum(revenue), 0) AS margin,
                  count(*) AS delivered_projects
           FROM mart_project WHERE is_delivered AND actual_end_date BETWEEN ? AND ?
           GROUP BY 1""",
        period.params,
    ).df()
    frame = _with_intervals(deals, "won", "closed").rename(columns={"rate": "win_rate"})
    frame = frame.merge(margins, on="lead_source", how="left")
    frame["net_sales"] = frame["net_sales"].astype(float)
    return frame.sort_values("deals", ascending=False, ignore_index=True)


def sold_vs_delivered_by_status_reports(con, period: Period = Period()) -> pd.DataFrame:
    """Completed projects split by whether their seller sent status reports: slip and overrun."""
    return con.execute(
        """SELECT seller_sent_status_reports, count(*) AS projects,
                  avg(schedule_slip_days) AS mean_slip_days,
                  avg(budget_variance) AS mean_budget_variance,
                  sum(revenue - actual_cost) / NULLIF(sum(revenue), 0) AS margin
           FROM mart_project WHERE is_delivered AND actual_end_date BETWEEN ? AND ?
           GROUP BY 1 ORDER BY 1""",
        period.params,
    ).df()


def escalation_resolution(con, period: Period = Period()) -> pd.DataFrame:
    """Escalations with and without sales involved: count and median hours to resolve."""
    return con.execute(
        """SELECT sales_involved, count(*) AS escalations,
                  sum(CASE WHEN is_resolved THEN 1 ELSE 0 END) AS resolved,
                  median(hours_to_resolve) AS median_hours_to_resolve
           FROM mart_escalation WHERE CAST(opened_at AS DATE) BETWEEN ? AND ?
           GROUP BY 1 ORDER BY 1""",
        period.params,
    ).df()


def monthly_trend(con, period: Period = Period()) -> pd.DataFrame:
    """Per month: NPS and answers, won amount and re-business rate, delivered margin."""
    params = period.params
    survey = con.execute(
        """SELECT date_trunc('month', answer_date) AS month,
                  sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END) AS promoters,
                  sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END) AS detractors,
                  count(*) AS nps_answers
           FROM mart_response_outcome
           WHERE survey_type = 'nps' AND answer_date BETWEEN ? AND ? GROUP BY 1""",
        params,
    ).df()
    survey["nps"], survey["nps_ci_low"], survey["nps_ci_high"] = nps_interval(
        survey["promoters"], survey["detractors"], survey["nps_answers"]
    )
    deals = con.execute(
        """SELECT date_trunc('month', close_date) AS month,
                  CAST(sum(CASE WHEN is_won THEN amount ELSE 0 END) AS DOUBLE) AS won_amount,
                  CAST(sum(CASE WHEN is_won AND is_rebusiness THEN amount ELSE 0 END) AS DOUBLE)
                    / NULLIF(CAST(sum(CASE WHEN is_won THEN amount ELSE 0 END) AS DOUBLE), 0) AS rebusiness_rate
           FROM mart_opportunity WHERE is_closed AND close_date BETWEEN ? AND ? GROUP BY 1""",
        params,
    ).df()
    margins = con.execute(
        """SELECT date_trunc('month', actual_end_date) AS month,
                  sum(revenue - actual_cost) / NULLIF(sum(revenue), 0) AS delivered_margin
           FROM mart_project WHERE is_delivered AND actual_end_date BETWEEN ? AND ? GROUP BY 1""",
        params,
    ).df()
    trend = survey.merge(deals, on="month", how="outer").merge(margins, on="month", how="outer")
    for column in ("nps", "nps_ci_low", "nps_ci_high", "delivered_margin", "rebusiness_rate"):
        trend[column] = trend[column].astype(float)
    return trend.sort_values("month", ignore_index=True)


def period_ending(end: date, months: int) -> Period:
    """The `months` whole months ending with `end`'s month (e.g. the last 12 months of data)."""
    first_of_end_month = end.replace(day=1)
    year, month = divmod(first_of_end_month.year * 12 + first_of_end_month.month - 1 - (months - 1), 12)
    next_month = (first_of_end_month + timedelta(days=32)).replace(day=1)
    return Period(date(year, month + 1, 1), next_month - timedelta(days=1))
