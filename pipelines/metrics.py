"""Every metric of DOMAIN.md, defined once. The CLI, the pages and the exports call these.

Each function takes a DuckDB connection (or cursor) and a Filters (the sidebar's period and
dimension choices; a bare Period means no dimension filter) and reads the marts with bound
parameters; nothing a user types is ever pasted into SQL text (see SCOPES). Conventions:
rates are fractions 0-1, NPS is -100..100, money is in the CRM's currency.
Margins are always delivered margins of projects *completed* in the period (a running
project's cost is not final); deal figures follow the deal's close date; survey figures
the answer date; escalations the date they were opened.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
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
    "satisfaction_outcome": (
        "For each survey answer whose N-month window is complete: whether the same account won "
        "re-business within N months (share, 95% Wilson interval), the re-business amount per answer "
        "(0 when none; mean with 95% t-interval), and the delivered margin of that re-business's "
        "completed projects (mean per answer, 95% t-interval, over the answers where it has delivered)."
    ),
    "score_regression": (
        "Ordinary least squares of what followed an NPS answer (re-business amount, or its delivered "
        "margin) on the answer's score 0-10: slope per score point with its 95% interval, R² = share of "
        "the spread the score explains, n answers."
    ),
    "win_win": (
        "Accounts with NPS answers and completed projects in the period, placed by their NPS (customer "
        "wins when at or above the NPS threshold) and delivered margin (business wins when at or above "
        "the margin threshold); each quadrant's share of the delivered revenue."
    ),
    "earned_growth": (
        "Per quarter, over the 12 months to its end against the 12 before: net revenue retention = won "
        "amount of the accounts that won the year before / their won amount then; referred new business "
        "= first won deals of accounts from customer referrals; earned growth rate = (retained + "
        "referred new) / the year before's won amount (Reichheld). Won amount stands in for revenue."
    ),
    "delivery_vs_other": (
        "Deals closing in the period, delivery-sourced against all other sources: win rate = won / closed "
        "(95% Wilson), net sales = won amount, margin = delivered margin of their completed projects, "
        "cycle = median days from created to closed. By person = referred_by; by team = the delivery "
        "team of most of the projects the referrer leads."
    ),
    "escalation_rate": (
        "Escalations opened in the period per project active in it (started by its end and not "
        "completed before its start); median hours from opened to resolved; share with sales involved "
        "(95% Wilson)."
    ),
    "escalation_aftermath": (
        "For escalations opened in the period: re-business won by the account within 12 months (only "
        "escalations whose 12 months are complete; 95% Wilson) and the NPS of the account's next answer "
        "within 12 months (95% normal interval), with and without sales involved."
    ),
    "rebusiness_vs_first_time": (
        "Re-business (the account had won before) against first-time business: deals won in the period, "
        "and the delivered margin of their projects completed in the period (pooled, and the mean project "
        "margin with its 95% t-interval)."
    ),
    "sold_vs_delivered": (
        "Projects completed in the period, by the sales rep who sold them: mean budget variance (actual "
        "/ budget cost - 1) and schedule slip (days late), each with a 95% t-interval, and the NPS of the "
        "account's answers within 6 months after those projects ended."
    ),
    "sales_governance": (
        "Per sales rep (or sales team: the sum of its reps) in the period: status reports sent, joint "
        "engagements with delivery, sales meetings with delivery staff present, and escalations with sales "
        "involved on the accounts they sold to. A rep's team is the one most of their deals name."
    ),
    "account_health": (
        "Account health 0-100 = weighted mean of five components (weights are settings): satisfaction, "
        "its trend, escalations, margin against target and engagement recency, as of the period's end. "
        "The component that pulled the score down most is named; components under 40 are at-risk reasons."
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


# SQL that keeps only the rows the sidebar's dimension filters select. A query carries the
# fragment of a dimension only when that dimension is filtered: DuckDB scans a fragment's
# subquery even when it could skip it, so an unused one costs more than many a query it is in.
# Every fragment is constant text with one placeholder, bound to the list of chosen values.
_ACCOUNT_COLUMNS = {"segments": "segment", "regions": "region", "owners": "owner", "accounts": "account_id"}
_REP_BY_ACCOUNT = "account_id IN (SELECT account_id FROM fct_opportunity WHERE list_contains(?, owner))"
_TEAM_BY_ACCOUNT = "account_id IN (SELECT account_id FROM fct_project WHERE list_contains(?, delivery_team))"
_TEAM_BY_PROJECT = "project_id IN (SELECT project_id FROM fct_project WHERE list_contains(?, delivery_team))"

# How each grain meets the sales-rep and delivery-team filters: by its own column where it has
# one (a deal's owner, a project's seller and team, an escalation's project), else through the
# account (the accounts the rep sold to / the team delivered to).
SCOPES = {
    "deal": {"reps": "list_contains(?, owner)", "teams": _TEAM_BY_ACCOUNT},
    "project": {"reps": "list_contains(?, sold_by)", "teams": "list_contains(?, delivery_team)"},
    "escalation": {"reps": _REP_BY_ACCOUNT, "teams": _TEAM_BY_PROJECT},
    "account": {"reps": _REP_BY_ACCOUNT, "teams": _TEAM_BY_ACCOUNT},
}


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects: a period and, per dimension, the values kept (empty: all).

    Every metric takes one (a bare Period still works: no dimension filter). ``accounts``
    narrows to single accounts (the account page); the others are the sidebar's.
    """

    period: Period = Period()
    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    reps: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    @classmethod
    def of(cls, value: Filters | Period | None) -> Filters:
        if isinstance(value, Filters):
            return value
        return cls(period=value or Period())

    def with_period(self, period: Period) -> Filters:
        return replace(self, period=period)

    def previous(self) -> Filters | None:
        before = self.period.previous()
        return None if before is None else self.with_period(before)

    def scope(self, grain: str) -> tuple[str, list]:
        """SQL keeping the rows of ``grain`` (a key of SCOPES) the dimension filters select, and
        the values it binds; ``TRUE`` when no dimension is filtered."""
        chosen = {name: list(values) for name in ("segments", "regions", "owners", "accounts", "reps", "teams")
                  if (values := getattr(self, name))}
        clauses, params = [], []
        by_account = [name for name in _ACCOUNT_COLUMNS if name in chosen]
        if by_account:
            kept = " AND ".join(f"list_contains(?, {_ACCOUNT_COLUMNS[name]})" for name in by_account)
            clauses.append(f"account_id IN (SELECT account_id FROM dim_account WHERE {kept})")
            params += [chosen[name] for name in by_account]
        for name, clause in SCOPES[grain].items():
            if name in chosen:
                clauses.append(clause)
                params.append(chosen[name])
        return " AND ".join(clauses) or "TRUE", params

    def within(self, grain: str, day: str) -> tuple[str, list]:
        """``scope(grain)`` for the rows whose ``day`` (constant SQL) falls in the period."""
        scope, params = self.scope(grain)
        return f"{day} BETWEEN ? AND ? AND {scope}", self.period.params + params


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the month's last day where it has no 31st."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def answers_followed_into(period: Filters | Period, months: int) -> Filters | Period:
    """The answer (or escalation) dates whose ``months``-month outcome window ends inside ``period``.

    Answers given in a recent period cannot show what followed yet; this reads the period's
    re-business against the answers given ``months`` months earlier (the Escalations page reads
    what followed escalations the same way). Filters keep their
    dimensions and get the earlier period.
    """
    if isinstance(period, Filters):
        return period.with_period(answers_followed_into(period.period, months))
    return Period(*(None if day is None else add_months(day, -months) for day in (period.start, period.end)))


def _check_window(months: int) -> None:
    if months not in OUTCOME_WINDOWS:
        raise ValueError(f"months must be one of {OUTCOME_WINDOWS}")


def _one(con, sql: str, where: tuple[str, list]) -> dict:
    """The one row of ``sql`` with ``{where}`` filled from a ``Filters.within`` (SQL, params) pair."""
    condition, params = where
    cursor = con.execute(sql.format(where=condition), params)
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
WHERE {where}
"""

DEAL_KPIS = """
SELECT
  sum(CASE WHEN is_won THEN amount ELSE 0 END) AS won_amount,
  CAST(sum(CASE WHEN is_won AND is_rebusiness THEN amount ELSE 0 END) AS DOUBLE)
    / NULLIF(CAST(sum(CASE WHEN is_won THEN amount ELSE 0 END) AS DOUBLE), 0) AS rebusiness_rate
FROM mart_opportunity
WHERE {where}
"""

MARGIN_KPIS = """
SELECT
  sum(revenue - actual_cost) / NULLIF(sum(revenue), 0) AS delivered_margin,
  sum(CASE WHEN is_rebusiness THEN revenue - actual_cost END)
    / NULLIF(sum(CASE WHEN is_rebusiness THEN revenue END), 0) AS rebusiness_margin,
  sum(CASE WHEN lead_source = 'delivery' THEN revenue - actual_cost END)
    / NULLIF(sum(CASE WHEN lead_source = 'delivery' THEN revenue END), 0) AS delivery_margin
FROM mart_project
WHERE is_delivered AND {where}
"""

DELIVERY_LEAD_KPIS = """
SELECT
  count(*) AS count,
  COALESCE(sum(CASE WHEN is_won THEN 1 ELSE 0 END), 0) AS won,
  1.0 * sum(CASE WHEN is_won THEN 1 ELSE 0 END)
      / NULLIF(sum(CASE WHEN is_closed THEN 1 ELSE 0 END), 0) AS win_rate,
  COALESCE(sum(CASE WHEN is_won THEN amount END), 0) AS net_sales
FROM mart_opportunity
WHERE lead_source = 'delivery' AND {where}
"""

ESCALATION_KPIS = """
SELECT
  count(*) AS count,
  COALESCE(sum(CASE WHEN sales_involved THEN 1 ELSE 0 END), 0) AS with_sales_involved,
  median(hours_to_resolve) AS median_hours_to_resolve
FROM mart_escalation
WHERE {where}
"""


def kpis(con, filters: Filters | Period = Filters()) -> dict:
    """The headline KPIs with the stable keys documented in the README."""
    filters = Filters.of(filters)
    survey = _one(con, SURVEY_KPIS, filters.within("account", "answer_date"))
    deals = _one(con, DEAL_KPIS, filters.within("deal", "close_date"))
    margins = _one(con, MARGIN_KPIS, filters.within("project", "actual_end_date"))
    leads = _one(con, DELIVERY_LEAD_KPIS, filters.within("deal", "close_date"))
    leads["margin"] = margins.pop("delivery_margin")
    escalations = _one(con, ESCALATION_KPIS, filters.within("escalation", "CAST(opened_at AS DATE)"))
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


def _normal_quantile(confidence: float) -> float:
    """The z of a two-sided ``confidence`` interval (1.96 for 95%), from scipy."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes, trials, confidence: float = CONFIDENCE):
    """Wilson score interval (statsmodels); better than the normal one near 0 and 1 and small n."""
    from statsmodels.stats.proportion import proportion_confint

    return proportion_confint(np.asarray(successes, dtype=float), np.asarray(trials, dtype=float),
                              alpha=1 - confidence, method="wilson")


def nps_interval(promoters, detractors, answers, confidence: float = CONFIDENCE):
    """NPS and its normal-approximation interval, on the -100..100 scale.

    Each answer scores +1 (promoter), 0 or -1 (detractor); NPS is 100 x their mean, so its
    variance is (share promoters + share detractors - (NPS/100)^2) / n.
    """
    promoters, detractors, answers = (pd.Series(x, dtype=float) for x in (promoters, detractors, answers))
    answers = answers.where(answers > 0)
    score = (promoters - detractors) / answers
    spread = _normal_quantile(confidence) * ((promoters + detractors) / answers - score**2).clip(lower=0).pow(0.5) / answers.pow(0.5)
    return 100 * score, 100 * (score - spread).clip(lower=-1), 100 * (score + spread).clip(upper=1)


def _with_intervals(frame: pd.DataFrame, successes: str, trials: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["rate"] = frame[successes] / frame[trials].where(frame[trials] > 0)
    low, high = wilson_interval(frame[successes].to_numpy(), frame[trials].clip(lower=1).to_numpy())
    frame["ci_low"], frame["ci_high"] = low, high
    frame.loc[frame[trials] == 0, ["rate", "ci_low", "ci_high"]] = float("nan")
    return frame


NPS_CATEGORIES = ["promoter", "passive", "detractor"]


def rebusiness_by_nps_category(con, filters: Filters | Period = Filters(), months: int = 12) -> pd.DataFrame:
    """Share of NPS answers followed by re-business within `months`, per category, with 95% CI."""
    _check_window(months)
    filters = Filters.of(filters)
    where, params = filters.within("account", "answer_date")
    frame = con.execute(
        f"""SELECT nps_category AS category, count(*) AS n,
                   sum(CASE WHEN deals_{months}m > 0 THEN 1 ELSE 0 END) AS rebought
            FROM mart_response_outcome
            WHERE survey_type = 'nps' AND window_complete_{months}m AND {where}
            GROUP BY nps_category""",
        params,
    ).df()
    frame = pd.DataFrame({"category": NPS_CATEGORIES}).merge(frame, on="category", how="left")
    frame[["n", "rebought"]] = frame[["n", "rebought"]].fillna(0).astype(int)
    return _with_intervals(frame, "rebought", "n")


def lead_source_performance(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per lead source: deals, won, win rate (with 95% CI), net sales, and delivered margin."""
    filters = Filters.of(filters)
    where, params = filters.within("deal", "close_date")
    deals = con.execute(
        f"""SELECT COALESCE(lead_source, 'unknown') AS lead_source, count(*) AS deals,
                  sum(CASE WHEN is_closed THEN 1 ELSE 0 END) AS closed,
                  sum(CASE WHEN is_won THEN 1 ELSE 0 END) AS won,
                  COALESCE(sum(CASE WHEN is_won THEN amount END), 0) AS net_sales,
                  median(CASE WHEN is_closed THEN cycle_days END) AS median_cycle_days
           FROM mart_opportunity WHERE {where}
           GROUP BY 1""",
        params,
    ).df()
    where, params = filters.within("project", "actual_end_date")
    margins = con.execute(
        f"""SELECT COALESCE(lead_source, 'unknown') AS lead_source,
                  sum(revenue - actual_cost) / NULLIF(sum(revenue), 0) AS margin,
                  count(*) AS delivered_projects
           FROM mart_project WHERE is_delivered AND {where}
           GROUP BY 1""",
        params,
    ).df()
    frame = _with_intervals(deals, "won", "closed").rename(columns={"rate": "win_rate"})
    frame = frame.merge(margins, on="lead_source", how="left")
    frame["net_sales"] = frame["net_sales"].astype(float)
    return frame.sort_values("deals", ascending=False, ignore_index=True)


def sold_vs_delivered_by_status_reports(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Completed projects split by whether their seller sent status reports: slip and overrun."""
    where, params = Filters.of(filters).within("project", "actual_end_date")
    return con.execute(
        f"""SELECT seller_sent_status_reports, count(*) AS projects,
                  avg(schedule_slip_days) AS mean_slip_days,
                  avg(budget_variance) AS mean_budget_variance,
                  sum(revenue - actual_cost) / NULLIF(sum(revenue), 0) AS margin
           FROM mart_project WHERE is_delivered AND {where}
           GROUP BY 1 ORDER BY 1""",
        params,
    ).df()


def escalation_resolution(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Escalations with and without sales involved: count and median hours to resolve."""
    where, params = Filters.of(filters).within("escalation", "CAST(opened_at AS DATE)")
    return con.execute(
        f"""SELECT sales_involved, count(*) AS escalations,
                  sum(CASE WHEN is_resolved THEN 1 ELSE 0 END) AS resolved,
                  median(hours_to_resolve) AS median_hours_to_resolve
           FROM mart_escalation WHERE {where}
           GROUP BY 1 ORDER BY 1""",
        params,
    ).df()


def monthly_trend(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per month: NPS and answers, won amount and re-business rate, delivered margin."""
    filters = Filters.of(filters)
    where, params = filters.within("account", "answer_date")
    survey = con.execute(
        f"""SELECT date_trunc('month', answer_date) AS month,
                  sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END) AS promoters,
                  sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END) AS detractors,
                  count(*) AS nps_answers
           FROM mart_response_outcome
           WHERE survey_type = 'nps' AND {where} GROUP BY 1""",
        params,
    ).df()
    survey["nps"], survey["nps_ci_low"], survey["nps_ci_high"] = nps_interval(
        survey["promoters"], survey["detractors"], survey["nps_answers"]
    )
    where, params = filters.within("deal", "close_date")
    deals = con.execute(
        f"""SELECT date_trunc('month', close_date) AS month,
                  CAST(sum(CASE WHEN is_won THEN amount ELSE 0 END) AS DOUBLE) AS won_amount,
                  CAST(sum(CASE WHEN is_won AND is_rebusiness THEN amount ELSE 0 END) AS DOUBLE)
                    / NULLIF(CAST(sum(CASE WHEN is_won THEN amount ELSE 0 END) AS DOUBLE), 0) AS rebusiness_rate
           FROM mart_opportunity WHERE is_closed AND {where} GROUP BY 1""",
        params,
    ).df()
    where, params = filters.within("project", "actual_end_date")
    margins = con.execute(
        f"""SELECT date_trunc('month', actual_end_date) AS month,
                  sum(revenue - actual_cost) / NULLIF(sum(revenue), 0) AS delivered_margin
           FROM mart_project WHERE is_delivered AND {where} GROUP BY 1""",
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


# --- Filters' choices --------------------------------------------------------------------

def filter_options(con) -> dict[str, list[str]]:
    """The values each sidebar filter offers, from what is loaded."""
    queries = {
        "segments": "SELECT DISTINCT segment FROM dim_account WHERE segment IS NOT NULL ORDER BY 1",
        "regions": "SELECT DISTINCT region FROM dim_account WHERE region IS NOT NULL ORDER BY 1",
        "teams": "SELECT DISTINCT delivery_team FROM fct_project WHERE delivery_team IS NOT NULL ORDER BY 1",
        "reps": "SELECT DISTINCT owner FROM fct_opportunity WHERE owner IS NOT NULL ORDER BY 1",
        "owners": "SELECT DISTINCT owner FROM dim_account WHERE owner IS NOT NULL ORDER BY 1",
    }
    return {name: [row[0] for row in con.execute(sql).fetchall()] for name, sql in queries.items()}


# --- Statistics (scipy's t quantiles, statsmodels' regression) -----------------------------------

def _t_interval(mean, std, n, confidence: float = CONFIDENCE):
    """Bounds of the t-interval of a mean from its sample's standard deviation (ddof 1) and size,
    for one sample or per group (Series): NaN below two values, the mean itself when all are
    equal. Equal to statsmodels' ``DescrStatsW.tconfint_mean`` (a test holds them to 1e-12)."""
    from scipy.stats import t

    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half_width = t.ppf(0.5 + confidence / 2, np.where(n >= 2, n - 1, np.nan)) * np.asarray(std, dtype=float) / np.sqrt(n)
    return mean - half_width, mean + half_width


def mean_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and its t-interval; NaN bounds below two values."""
    values = pd.Series(values, dtype=float).dropna()
    low, high = _t_interval(values.mean(), values.std(), len(values), confidence)
    return (values.mean(), low, high)


def _mean_intervals(values) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``mean_interval`` of each group of a grouped Series at once: means, lows, highs."""
    stats = values.agg(["mean", "std", "count"])
    low, high = _t_interval(stats["mean"], stats["std"], stats["count"])
    return stats["mean"], low, high


def linear_fit(x, y, confidence: float = CONFIDENCE) -> dict:
    """Ordinary least squares of y on x (statsmodels): slope, its interval, intercept, R², p, n."""
    import statsmodels.api as sm

    points = pd.DataFrame({"x": x, "y": y}, dtype=float).dropna()
    empty = {"n": len(points), "slope": None, "ci_low": None, "ci_high": None, "intercept": None, "r2": None, "p_value": None}
    if len(points) < 3 or points["x"].nunique() < 2:
        return empty
    fit = sm.OLS(points["y"], sm.add_constant(points["x"])).fit()
    low, high = fit.conf_int(alpha=1 - confidence).loc["x"]
    return {"n": len(points), "slope": float(fit.params["x"]), "ci_low": float(low), "ci_high": float(high),
            "intercept": float(fit.params["const"]), "r2": float(fit.rsquared), "p_value": float(fit.pvalues["x"])}


# --- Satisfaction -> profit ------------------------------------------------------------------

CSAT_BANDS = ["satisfied (4-5)", "neutral (3)", "dissatisfied (1-2)"]
# The groupings of survey answers the link is shown by: column, survey type, groups in order.
ANSWER_GROUPINGS = {"nps_category": ("nps", NPS_CATEGORIES), "csat_band": ("csat", CSAT_BANDS)}


def _answer_outcomes(con, filters: Filters, months: int, survey_type: str) -> pd.DataFrame:
    """Each answer with a complete ``months`` window: its score, group and what followed."""
    _check_window(months)
    where, params = filters.within("account", "answer_date")
    frame = con.execute(
        f"""SELECT response_id, account_id, answer_date, score, nps_category, csat_band,
                   deals_{months}m AS deals, CAST(amount_{months}m AS DOUBLE) AS amount,
                   CAST(delivered_revenue_{months}m AS DOUBLE) AS delivered_revenue,
                   CAST(delivered_cost_{months}m AS DOUBLE) AS delivered_cost
            FROM mart_response_outcome
            WHERE survey_type = ? AND window_complete_{months}m AND {where}""",
        [survey_type] + params,
    ).df()
    revenue = frame["delivered_revenue"].where(frame["delivered_revenue"] > 0)
    frame["delivered_margin"] = (revenue - frame["delivered_cost"]) / revenue
    return frame


def outcome_by_group(con, filters: Filters | Period = Filters(), months: int = 12, by: str = "nps_category") -> pd.DataFrame:
    """Per NPS category (or CSAT band): answers n; share followed by re-business within
    ``months`` (Wilson 95%); mean re-business amount per answer (t 95%); mean delivered margin
    of that re-business, over the n_margin answers whose follow-up deals have delivered."""
    survey_type, groups = ANSWER_GROUPINGS[by]
    answers = _answer_outcomes(con, Filters.of(filters), months, survey_type)
    rows = []
    for group in groups:
        chosen = answers[answers[by] == group]
        amount, amount_low, amount_high = mean_interval(chosen["amount"])
        margin, margin_low, margin_high = mean_interval(chosen["delivered_margin"])
        rows.append({"group": group, "n": len(chosen), "rebought": int((chosen["deals"] > 0).sum()),
                     "amount": amount, "amount_ci_low": amount_low, "amount_ci_high": amount_high,
                     "n_margin": int(chosen["delivered_margin"].notna().sum()),
                     "margin": margin, "margin_ci_low": margin_low, "margin_ci_high": margin_high})
    return _with_intervals(pd.DataFrame(rows), "rebought", "n")


# What a regression of what followed on the score can explain.
REGRESSION_OUTCOMES = {"amount": "re-business amount", "margin": "re-business delivered margin"}


def score_regression(con, filters: Filters | Period = Filters(), months: int = 12, outcome: str = "amount") -> dict:
    """OLS of the re-business that followed an NPS answer on its score (0-10).

    ``amount``: every answer with a complete window (0 when nothing followed); ``margin``:
    the answers whose follow-up deals have delivered projects. Returns the fit and its points.
    """
    answers = _answer_outcomes(con, Filters.of(filters), months, "nps")
    column = {"amount": "amount", "margin": "delivered_margin"}[outcome]
    points = answers[["response_id", "account_id", "answer_date", "score", "nps_category", column]].dropna(subset=[column])
    return linear_fit(points["score"], points[column]) | {"points": points.rename(columns={column: outcome})}


def _account_nps(filters: Filters) -> tuple[str, list]:
    where, params = filters.within("account", "answer_date")
    return (f"""SELECT account_id, count(*) AS answers,
                   100.0 * (sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END) - sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END))
                     / count(*) AS nps
            FROM mart_response_outcome
            WHERE survey_type = 'nps' AND {where}
            GROUP BY account_id""", params)


# Win-win matrix defaults (DOMAIN.md: thresholds are settings). NPS 0 splits accounts with more
# promoters than detractors; 30% is a common services-firm delivered-margin target.
WIN_WIN_NPS_THRESHOLD = 0.0
WIN_WIN_MARGIN_THRESHOLD = 0.30
QUADRANTS = ["win-win", "customer wins only", "business wins only", "lose-lose"]


def win_win_accounts(con, filters: Filters | Period = Filters(), nps_threshold: float = WIN_WIN_NPS_THRESHOLD,
                     margin_threshold: float = WIN_WIN_MARGIN_THRESHOLD) -> pd.DataFrame:
    """Accounts with NPS answers and completed projects in the period, placed by their NPS
    (customer wins) and delivered margin (business wins) into the four quadrants."""
    filters = Filters.of(filters)
    nps_sql, nps_params = _account_nps(filters)
    where, params = filters.within("project", "actual_end_date")
    frame = con.execute(
        f"""WITH nps AS ({nps_sql}),
                 delivered AS (
                   SELECT account_id, count(*) AS projects, CAST(sum(revenue) AS DOUBLE) AS revenue,
                          CAST(sum(revenue - actual_cost) AS DOUBLE) / NULLIF(CAST(sum(revenue) AS DOUBLE), 0) AS margin
                   FROM mart_project
                   WHERE is_delivered AND {where}
                   GROUP BY account_id)
            SELECT a.account_id, a.account_name, a.owner, nps.answers, nps.nps, d.projects, d.revenue, d.margin
            FROM nps JOIN delivered AS d ON d.account_id = nps.account_id
            JOIN dim_account AS a ON a.account_id = nps.account_id
            ORDER BY d.revenue DESC""",
        nps_params + params,
    ).df()
    satisfied, profitable = frame["nps"] >= nps_threshold, frame["margin"] >= margin_threshold
    frame["quadrant"] = [QUADRANTS[0] if s and p else QUADRANTS[1] if s else QUADRANTS[2] if p else QUADRANTS[3]
                         for s, p in zip(satisfied, profitable)]
    return frame


def quadrant_shares(accounts: pd.DataFrame) -> pd.DataFrame:
    """Per quadrant of the win-win matrix: accounts, delivered revenue and its share."""
    shares = accounts.groupby("quadrant")[["revenue"]].agg(["count", "sum"])
    shares.columns = ["accounts", "revenue"]
    shares = shares.reindex(QUADRANTS).fillna(0).reset_index()
    total = shares["revenue"].sum()
    shares["revenue_share"] = shares["revenue"] / total if total else math.nan
    shares["accounts"] = shares["accounts"].astype(int)
    return shares


# Earned growth (Reichheld): a quarter's trailing year of won business against the year before.
GROWTH_WINDOW_MONTHS = 12


def earned_growth(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per quarter in the period, over the trailing 12 months against the 12 before:
    net revenue retention (won amount of the accounts that won the year before / their won
    amount then), referred new business (first won deals of new accounts from customer
    referrals), and the earned growth rate = NRR + referred new business / the year before."""
    filters = Filters.of(filters)
    scope, params = filters.scope("deal")
    deals = con.execute(
        f"""SELECT account_id, close_date, CAST(amount AS DOUBLE) AS amount, is_rebusiness, lead_source
            FROM mart_opportunity WHERE is_won AND close_date <= ? AND {scope}""",
        [filters.period.params[1]] + params,
    ).df()
    columns = ["quarter", "prior_amount", "retained_amount", "referred_new", "nrr", "earned_growth_rate"]
    if deals.empty:
        return pd.DataFrame(columns=columns)
    deals["close_date"] = pd.to_datetime(deals["close_date"])
    # Accounts as integer codes: isin on Arrow strings turns every value into a Python object.
    deals["account"] = deals["account_id"].factorize()[0]
    first = pd.Timestamp(filters.period.start or deals["close_date"].min())
    last = pd.Timestamp(filters.period.end or deals["close_date"].max())
    rows = []
    for quarter in pd.period_range(first, last, freq="Q"):
        end = quarter.end_time.normalize()
        start = end - pd.DateOffset(months=GROWTH_WINDOW_MONTHS)
        prior_start = start - pd.DateOffset(months=GROWTH_WINDOW_MONTHS)
        now = deals[(deals["close_date"] > start) & (deals["close_date"] <= end)]
        before = deals[(deals["close_date"] > prior_start) & (deals["close_date"] <= start)]
        prior = before["amount"].sum()
        retained = now.loc[now["account"].isin(before["account"]), "amount"].sum()
        referred = now.loc[~now["is_rebusiness"] & (now["lead_source"] == "customer_referral"), "amount"].sum()
        rows.append({"quarter": str(quarter), "prior_amount": prior, "retained_amount": retained, "referred_new": referred,
                     "nrr": retained / prior if prior else math.nan,
                     "earned_growth_rate": (retained + referred) / prior if prior else math.nan})
    return pd.DataFrame(rows, columns=columns)


# --- Delivery-generated leads ------------------------------------------------------------------

def _deal_groups(con, filters: Filters, group_sql: str, counted: str = "TRUE") -> pd.DataFrame:
    """Deals closing in the period (of those ``counted`` keeps) grouped by ``group_sql`` (both constant
    SQL): counts, win rate with its Wilson interval, net sales, delivered margin of their projects, median cycle."""
    where, params = filters.within("deal", "close_date")
    frame = con.execute(
        f"""SELECT {group_sql} AS grp, count(*) AS deals,
                   sum(CASE WHEN is_closed THEN 1 ELSE 0 END) AS closed,
                   sum(CASE WHEN is_won THEN 1 ELSE 0 END) AS won,
                   CAST(COALESCE(sum(CASE WHEN is_won THEN amount END), 0) AS DOUBLE) AS net_sales,
                   count(delivered_revenue) AS delivered_deals,
                   CAST(sum(delivered_revenue - delivered_cost) AS DOUBLE) / NULLIF(CAST(sum(delivered_revenue) AS DOUBLE), 0) AS margin,
                   median(CASE WHEN is_closed THEN cycle_days END) AS median_cycle_days
            FROM mart_opportunity AS o
            WHERE {counted} AND {where}
            GROUP BY 1 ORDER BY deals DESC""",
        params,
    ).df()
    return _with_intervals(frame, "won", "closed").rename(columns={"rate": "win_rate"})


def delivery_vs_other_sources(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Delivery-sourced deals against all other sources: count, win rate (95%), net sales,
    margin of the projects that followed, median cycle days."""
    frame = _deal_groups(con, Filters.of(filters), "CASE WHEN lead_source = 'delivery' THEN 'delivery' ELSE 'other sources' END")
    return frame.rename(columns={"grp": "source"})


# The delivery team a referrer belongs to: the team of most of the projects they lead.
_REFERRER_TEAM = "(SELECT mode(p.delivery_team) FROM fct_project AS p WHERE p.delivery_manager = o.referred_by)"
LEAD_GROUPS = {"person": "COALESCE(o.referred_by, 'unknown')", "team": f"COALESCE({_REFERRER_TEAM}, 'unknown')"}


def delivery_leads_by(con, filters: Filters | Period = Filters(), by: str = "team") -> pd.DataFrame:
    """Delivery-sourced deals per referring person (referred_by) or their delivery team."""
    frame = _deal_groups(con, Filters.of(filters), LEAD_GROUPS[by], "o.lead_source = 'delivery'")
    return frame.rename(columns={"grp": by})


def lead_sources_by_quarter(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per quarter: delivery-sourced deals against the others (win rate with 95%, net sales)."""
    frame = _deal_groups(con, Filters.of(filters),
                         "CAST(date_trunc('quarter', close_date) AS DATE) || '|' || CASE WHEN lead_source = 'delivery' THEN 'delivery' ELSE 'other sources' END")
    frame[["quarter", "source"]] = frame.pop("grp").str.split("|", expand=True)
    frame["quarter"] = pd.PeriodIndex(pd.to_datetime(frame["quarter"]), freq="Q").astype(str)
    return frame.sort_values(["quarter", "source"], ignore_index=True)


# --- Escalations -----------------------------------------------------------------------------

ESCALATION_GROUPS = {"severity": "COALESCE(severity, 'unknown')", "category": "COALESCE(category, 'unknown')"}
# A severity scale read from most to least severe (Jira/Zendesk priorities are mapped to these).
SEVERITY_ORDER = ["critical", "high", "medium", "low", "unknown"]


def active_projects(con, filters: Filters | Period = Filters()) -> int:
    """Projects running at some point of the period (started by its end, not ended before its start)."""
    filters = Filters.of(filters)
    start, end = filters.period.params
    scope, params = filters.scope("project")
    return con.execute(
        f"""SELECT count(*) FROM mart_project
            WHERE start_date <= ? AND COALESCE(actual_end_date, ?) >= ? AND {scope}""",
        [end, LATEST, start] + params,
    ).fetchone()[0]


def escalation_breakdown(con, filters: Filters | Period = Filters(), by: str = "severity") -> pd.DataFrame:
    """Escalations opened in the period per severity (or category): count, rate per active
    project, share with sales involved (Wilson 95%), median hours to resolve, still open."""
    filters = Filters.of(filters)
    where, params = filters.within("escalation", "CAST(opened_at AS DATE)")
    frame = con.execute(
        f"""SELECT {ESCALATION_GROUPS[by]} AS {by}, count(*) AS escalations,
                   sum(CASE WHEN sales_involved THEN 1 ELSE 0 END) AS with_sales,
                   sum(CASE WHEN is_resolved THEN 0 ELSE 1 END) AS still_open,
                   median(hours_to_resolve) AS median_hours_to_resolve
            FROM mart_escalation
            WHERE {where}
            GROUP BY 1""",
        params,
    ).df()
    projects = active_projects(con, filters)
    frame["per_active_project"] = frame["escalations"] / projects if projects else math.nan
    frame = _with_intervals(frame, "with_sales", "escalations").rename(
        columns={"rate": "sales_share", "ci_low": "sales_ci_low", "ci_high": "sales_ci_high"})
    if by == "severity":
        frame["order"] = frame["severity"].map({s: i for i, s in enumerate(SEVERITY_ORDER)}).fillna(len(SEVERITY_ORDER))
        return frame.sort_values("order", ignore_index=True).drop(columns="order")
    return frame.sort_values("escalations", ascending=False, ignore_index=True)


# How far after an escalation its consequences are looked for (DOMAIN.md: re-business within 12 months).
AFTERMATH_MONTHS = 12


def escalation_aftermath(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Escalations with and without sales involved, and what followed on the account:
    re-business won within 12 months (escalations whose 12 months are complete; Wilson 95%)
    and the NPS of the account's next answer within 12 months (normal 95%)."""
    filters = Filters.of(filters)
    where, params = filters.within("escalation", "CAST(opened_at AS DATE)")
    frame = con.execute(
        f"""WITH escalations AS (
                 SELECT escalation_id, account_id, sales_involved, CAST(opened_at AS DATE) AS opened
                 FROM mart_escalation
                 WHERE {where}),
               next_answer AS (
                 SELECT e.escalation_id, min(r.answer_date) AS answer_date
                 FROM escalations AS e JOIN mart_response_outcome AS r
                   ON r.account_id = e.account_id AND r.survey_type = 'nps'
                  AND r.answer_date > e.opened AND r.answer_date <= e.opened + INTERVAL 12 MONTH
                 GROUP BY e.escalation_id),
               next_score AS (
                 SELECT n.escalation_id, min(r.score) AS score
                 FROM next_answer AS n JOIN escalations AS e ON e.escalation_id = n.escalation_id
                 JOIN mart_response_outcome AS r
                   ON r.account_id = e.account_id AND r.survey_type = 'nps' AND r.answer_date = n.answer_date
                 GROUP BY n.escalation_id),
               rebought AS (
                 SELECT DISTINCT e.escalation_id
                 FROM escalations AS e JOIN mart_opportunity AS o
                   ON o.account_id = e.account_id AND o.is_rebusiness
                  AND o.close_date > e.opened AND o.close_date <= e.opened + INTERVAL 12 MONTH)
            SELECT COALESCE(e.sales_involved, FALSE) AS sales_involved, count(*) AS escalations,
                   sum(CASE WHEN e.opened + INTERVAL 12 MONTH <= d.data_date THEN 1 ELSE 0 END) AS complete,
                   sum(CASE WHEN e.opened + INTERVAL 12 MONTH <= d.data_date AND b.escalation_id IS NOT NULL THEN 1 ELSE 0 END) AS rebought,
                   count(s.score) AS next_answers,
                   sum(CASE WHEN s.score >= 9 THEN 1 ELSE 0 END) AS next_promoters,
                   sum(CASE WHEN s.score <= 6 THEN 1 ELSE 0 END) AS next_detractors
            FROM escalations AS e CROSS JOIN mart_data_date AS d
            LEFT JOIN next_score AS s ON s.escalation_id = e.escalation_id
            LEFT JOIN rebought AS b ON b.escalation_id = e.escalation_id
            GROUP BY 1 ORDER BY 1""",
        params,
    ).df()
    frame = _with_intervals(frame, "rebought", "complete").rename(columns={"rate": "rebusiness_rate"})
    frame["next_nps"], frame["next_nps_ci_low"], frame["next_nps_ci_high"] = nps_interval(
        frame["next_promoters"], frame["next_detractors"], frame["next_answers"])
    return frame


# --- Re-business & margin, sold vs delivered, sales governance ---------------------------------

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
    projects = con.execute(
        f"""SELECT COALESCE(is_rebusiness, FALSE) AS is_rebusiness, margin, CAST(revenue AS DOUBLE) AS revenue,
                   CAST(revenue - actual_cost AS DOUBLE) AS profit
            FROM mart_project WHERE is_delivered AND {where}""",
        params,
    ).df()
    rows = []
    for flag, label in ((True, "re-business"), (False, "first-time business")):
        deal = deals[deals["is_rebusiness"] == flag]
        mine = projects[projects["is_rebusiness"] == flag]
        mean, low, high = mean_interval(mine["margin"])
        rows.append({"business": label, "won_deals": int(deal["won_deals"].sum()), "won_amount": float(deal["won_amount"].sum()),
                     "projects": len(mine), "margin": mine["profit"].sum() / mine["revenue"].sum() if mine["revenue"].sum() else math.nan,
                     "mean_project_margin": mean, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


# How long after a project ends the account's answers count as "the satisfaction that followed".
FOLLOWED_MONTHS = 6


def sold_vs_delivered_by_rep(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per sales rep, the projects they sold that completed in the period: mean budget
    variance and schedule slip (t 95%), delivered margin, and the NPS of the account's answers
    within 6 months after those projects ended (normal 95%)."""
    filters = Filters.of(filters)
    where, params = filters.within("project", "actual_end_date")
    projects = con.execute(
        f"""SELECT project_id, account_id, COALESCE(sold_by, 'unknown') AS sold_by, budget_variance, schedule_slip_days,
                   CAST(revenue AS DOUBLE) AS revenue, CAST(revenue - actual_cost AS DOUBLE) AS profit
            FROM mart_project WHERE is_delivered AND {where}""",
        params,
    ).df()
    answers = con.execute(
        f"""SELECT DISTINCT COALESCE(p.sold_by, 'unknown') AS sold_by, r.response_id, r.score
            FROM mart_project AS p JOIN mart_response_outcome AS r
              ON r.account_id = p.account_id AND r.survey_type = 'nps'
             AND r.answer_date > p.actual_end_date AND r.answer_date <= p.actual_end_date + INTERVAL {FOLLOWED_MONTHS} MONTH
            WHERE p.project_id IN (SELECT project_id FROM mart_project
                                   WHERE is_delivered AND {where})""",
        params,
    ).df()
    reps = projects.groupby("sold_by")
    variance, variance_low, variance_high = _mean_intervals(reps["budget_variance"])
    slip, slip_low, slip_high = _mean_intervals(reps["schedule_slip_days"])
    money = reps[["revenue", "profit"]].sum()
    followed = answers.assign(promoter=answers["score"] >= 9, detractor=answers["score"] <= 6).groupby("sold_by").agg(
        answers_after=("score", "size"), promoters_after=("promoter", "sum"), detractors_after=("detractor", "sum"))
    frame = pd.DataFrame({"n": reps.size(),
                          "budget_variance": variance, "variance_ci_low": variance_low, "variance_ci_high": variance_high,
                          "slip_days": slip, "slip_ci_low": slip_low, "slip_ci_high": slip_high,
                          "margin": money["profit"] / money["revenue"].where(money["revenue"] != 0)})
    frame = frame.join(followed).fillna({name: 0 for name in followed.columns}).astype({name: int for name in followed.columns})
    frame = frame.rename_axis("sales_rep").reset_index()
    frame["nps_after"], frame["nps_after_ci_low"], frame["nps_after_ci_high"] = nps_interval(
        frame["promoters_after"], frame["detractors_after"], frame["answers_after"])
    return frame.sort_values("n", ascending=False, ignore_index=True)


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
    where, params = filters.within("escalation", "CAST(opened_at AS DATE)")
    escalations = con.execute(
        f"""SELECT o.owner AS sales_rep, count(DISTINCT e.escalation_id) AS escalations_with_sales
            FROM mart_escalation AS e JOIN fct_opportunity AS o ON o.account_id = e.account_id
            WHERE e.sales_involved AND e.escalation_id IN (
                    SELECT escalation_id FROM mart_escalation
                    WHERE {where})
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


# --- Accounts: health and timeline ----------------------------------------------------------------

# Account health weights (DOMAIN.md: weights are settings); they need not sum to 1.
HEALTH_WEIGHTS = {"satisfaction": 0.30, "trend": 0.15, "escalations": 0.20, "margin": 0.20, "engagement": 0.15}
HEALTH_COMPONENTS = {
    "satisfaction": "NPS of the last 12 months, -100..100 mapped to 0..100",
    "trend": "NPS of the last 6 months against the 6 before: 50 = flat, each NPS point = half a health point",
    "escalations": "100 minus 25 per open escalation and 10 per escalation opened in the last 90 days",
    "margin": "delivered margin of the last 12 months against the target: 100 at or above it, 0 at 30 points below",
    "engagement": "days since the last activity: 100 up to 30 days, 0 from 180 days",
}
# Margin a services firm plans for; an account delivering this or more scores full marks.
MARGIN_TARGET = 0.30
MARGIN_SHORTFALL_AT_ZERO = 0.30  # margin points below target that score 0
RECENT_ESCALATION_DAYS = 90
OPEN_ESCALATION_PENALTY, RECENT_ESCALATION_PENALTY = 25, 10
ENGAGED_DAYS, DISENGAGED_DAYS = 30, 180
NEUTRAL = 50.0  # a component with no data neither lifts nor pulls down the score
# A component under this is named as an at-risk reason: NPS below -20, an NPS drop of more than
# 20 points in six months, two open escalations, margin 18 points under target, 120 days silent.
AT_RISK_BELOW = 40.0


def account_facts(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per account in scope, the raw facts of its health as of the period's end (else the data date)."""
    filters = Filters.of(filters)
    as_of = filters.period.end or data_date(con) or LATEST
    scope, params = filters.scope("account")
    return con.execute(
        f"""WITH as_of AS (SELECT CAST(? AS DATE) AS day),
            accounts AS (SELECT * FROM dim_account WHERE {scope}),
            answers AS (
              SELECT r.account_id,
                     count(CASE WHEN r.answer_date > as_of.day - INTERVAL 12 MONTH THEN 1 END) AS answers_12m,
                     sum(CASE WHEN r.answer_date > as_of.day - INTERVAL 12 MONTH THEN (CASE WHEN r.score >= 9 THEN 1 WHEN r.score <= 6 THEN -1 ELSE 0 END) END) AS net_12m,
                     count(CASE WHEN r.answer_date > as_of.day - INTERVAL 6 MONTH THEN 1 END) AS answers_recent,
                     sum(CASE WHEN r.answer_date > as_of.day - INTERVAL 6 MONTH THEN (CASE WHEN r.score >= 9 THEN 1 WHEN r.score <= 6 THEN -1 ELSE 0 END) END) AS net_recent,
                     count(CASE WHEN r.answer_date <= as_of.day - INTERVAL 6 MONTH THEN 1 END) AS answers_before,
                     sum(CASE WHEN r.answer_date <= as_of.day - INTERVAL 6 MONTH THEN (CASE WHEN r.score >= 9 THEN 1 WHEN r.score <= 6 THEN -1 ELSE 0 END) END) AS net_before
              FROM mart_response_outcome AS r CROSS JOIN as_of
              WHERE r.survey_type = 'nps' AND r.answer_date <= as_of.day AND r.answer_date > as_of.day - INTERVAL 12 MONTH
              GROUP BY r.account_id),
            escalations AS (
              SELECT e.account_id,
                     count(CASE WHEN e.resolved_at IS NULL OR CAST(e.resolved_at AS DATE) > as_of.day THEN 1 END) AS open_escalations,
                     count(CASE WHEN CAST(e.opened_at AS DATE) > as_of.day - INTERVAL {RECENT_ESCALATION_DAYS} DAY THEN 1 END) AS recent_escalations
              FROM mart_escalation AS e CROSS JOIN as_of
              WHERE CAST(e.opened_at AS DATE) <= as_of.day
              GROUP BY e.account_id),
            delivered AS (
              SELECT p.account_id,
                     CAST(sum(p.revenue - p.actual_cost) AS DOUBLE) / NULLIF(CAST(sum(p.revenue) AS DOUBLE), 0) AS margin_12m
              FROM mart_project AS p CROSS JOIN as_of
              WHERE p.is_delivered AND p.actual_end_date <= as_of.day AND p.actual_end_date > as_of.day - INTERVAL 12 MONTH
              GROUP BY p.account_id),
            engaged AS (
              SELECT a.account_id, max(a.activity_date) AS last_activity
              FROM fct_activity AS a CROSS JOIN as_of WHERE a.activity_date <= as_of.day GROUP BY a.account_id)
            SELECT d.account_id, d.account_name, d.owner, d.segment, d.region,
                   COALESCE(s.answers_12m, 0) AS answers_12m, 100.0 * s.net_12m / NULLIF(s.answers_12m, 0) AS nps_12m,
                   100.0 * s.net_recent / NULLIF(s.answers_recent, 0) AS nps_recent,
                   100.0 * s.net_before / NULLIF(s.answers_before, 0) AS nps_before,
                   COALESCE(e.open_escalations, 0) AS open_escalations, COALESCE(e.recent_escalations, 0) AS recent_escalations,
                   m.margin_12m, date_diff('day', g.last_activity, as_of.day) AS days_since_activity
            FROM accounts AS d CROSS JOIN as_of
            LEFT JOIN answers AS s ON s.account_id = d.account_id
            LEFT JOIN escalations AS e ON e.account_id = d.account_id
            LEFT JOIN delivered AS m ON m.account_id = d.account_id
            LEFT JOIN engaged AS g ON g.account_id = d.account_id
            ORDER BY d.account_name""",
        [as_of] + params,
    ).df()


def health_scores(facts: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Each account's 0-100 health: its five components (HEALTH_COMPONENTS), their weighted
    mean, the component that pulled it down most, the trend arrow and the at-risk reasons."""
    weights = weights or HEALTH_WEIGHTS
    frame = facts.copy()
    scores = pd.DataFrame(index=frame.index)
    scores["satisfaction"] = ((frame["nps_12m"] + 100) / 2).fillna(NEUTRAL)
    scores["trend"] = (NEUTRAL + (frame["nps_recent"] - frame["nps_before"]) / 2).clip(0, 100).fillna(NEUTRAL)
    scores["escalations"] = (100 - OPEN_ESCALATION_PENALTY * frame["open_escalations"]
                             - RECENT_ESCALATION_PENALTY * frame["recent_escalations"]).clip(lower=0)
    shortfall = (MARGIN_TARGET - frame["margin_12m"]).clip(lower=0)
    scores["margin"] = (100 * (1 - shortfall / MARGIN_SHORTFALL_AT_ZERO)).clip(lower=0).fillna(NEUTRAL)
    days = frame["days_since_activity"].astype(float)
    scores["engagement"] = (100 * (DISENGAGED_DAYS - days) / (DISENGAGED_DAYS - ENGAGED_DAYS)).clip(0, 100).fillna(0)
    total = sum(weights.values()) or 1.0
    frame["health"] = sum(scores[name] * weight for name, weight in weights.items()) / total
    for name in HEALTH_COMPONENTS:
        frame[f"{name}_score"] = scores[name]
    # What pulled it down: the component with the largest weighted gap to 100.
    gaps = pd.DataFrame({name: (100 - scores[name]) * weights.get(name, 0) for name in HEALTH_COMPONENTS})
    frame["pulled_down_by"] = gaps.idxmax(axis=1).where(gaps.max(axis=1) > 0, "")
    change = frame["nps_recent"] - frame["nps_before"]
    frame["trend_arrow"] = ["▲" if c > 0 else "▼" if c < 0 else "→" if c == 0 else "" for c in change.fillna(math.nan)]
    # At-risk reasons, "name score/100" joined by "; ", built a component (column) at a time.
    reasons = pd.Series("", index=frame.index)
    for name in HEALTH_COMPONENTS:
        low = scores[name] < AT_RISK_BELOW
        reasons[low] += scores.loc[low, name].map(f"{name} {{:.0f}}/100; ".format).astype(str)
    frame["at_risk_reasons"] = reasons.str.removesuffix("; ")
    return frame.sort_values("health", ignore_index=True)


def account_health(con, filters: Filters | Period = Filters(), weights: tuple[tuple[str, float], ...] | None = None) -> pd.DataFrame:
    """Accounts in scope with their health (weights as (name, weight) pairs, so it caches)."""
    return health_scores(account_facts(con, filters), dict(weights) if weights else None)


def account_timeline(con, account_id: str) -> pd.DataFrame:
    """Everything that happened on one account, oldest first: deals, projects, escalations,
    activities and survey answers, each with a one-line description."""
    return con.execute(
        """SELECT * FROM (
             SELECT COALESCE(close_date, created_date) AS day, 'deal' AS kind,
                    stage || ' · ' || COALESCE(lead_source, 'unknown source') || ' · ' || CAST(amount AS VARCHAR) AS what,
                    opportunity_id AS ref
             FROM fct_opportunity WHERE account_id = ?
             UNION ALL
             SELECT start_date, 'project start', COALESCE(delivery_team, '') || ' · ' || COALESCE(delivery_manager, ''), project_id
             FROM fct_project WHERE account_id = ?
             UNION ALL
             SELECT actual_end_date, 'project end',
                    'margin ' || CAST(round(100 * margin, 1) AS VARCHAR) || '% · slip ' || CAST(schedule_slip_days AS VARCHAR) || ' d', project_id
             FROM mart_project WHERE account_id = ? AND is_delivered
             UNION ALL
             SELECT CAST(opened_at AS DATE), 'escalation',
                    COALESCE(severity, '') || ' · ' || COALESCE(category, '') || CASE WHEN sales_involved THEN ' · sales involved' ELSE '' END
                      || CASE WHEN resolved_at IS NULL THEN ' · open' ELSE '' END, escalation_id
             FROM fct_escalation WHERE account_id = ?
             UNION ALL
             SELECT activity_date, 'activity',
                    activity_type || ' · ' || COALESCE(sales_participant, '') || COALESCE(' + ' || delivery_participant, ''), activity_id
             FROM fct_activity WHERE account_id = ?
             UNION ALL
             SELECT CAST(responded_at AS DATE), survey_type || ' answer', 'score ' || CAST(score AS VARCHAR) || COALESCE(' · ' || comment, ''), response_id
             FROM fct_survey_response WHERE account_id = ?
           ) AS events
           WHERE day IS NOT NULL
           ORDER BY day, kind, ref""",
        [account_id] * 6,
    ).df()


# --- Drill-down: the rows behind one bar of a chart ------------------------------------------------
# Each lists what its chart counts, with the same filters, so a bar's n is the list's length.

def _named(con, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its accounts' names next to their ids (a drill-down list opens accounts by name)."""
    names = con.execute("SELECT account_id, account_name FROM dim_account").df()
    named = frame.merge(names, on="account_id", how="left")
    return named[["account_name"] + [c for c in frame.columns]]


def answers_behind(con, filters: Filters | Period, months: int, by: str, group: str) -> pd.DataFrame:
    """The answers of one NPS category (or CSAT band) counted by ``outcome_by_group`` and
    ``rebusiness_by_nps_category``, with what followed each, oldest first."""
    survey_type, _ = ANSWER_GROUPINGS[by]
    answers = _answer_outcomes(con, Filters.of(filters), months, survey_type)
    chosen = answers[answers[by] == group].sort_values(["answer_date", "response_id"])
    return _named(con, chosen[["account_id", "response_id", "answer_date", "score", "deals", "amount", "delivered_margin"]]
                  .rename(columns={"deals": f"deals_within_{months}m", "amount": f"amount_within_{months}m"}))


# Deal groupings that drill: the SQL of their group, and which deals they count (as _deal_groups).
_SOURCE = "CASE WHEN lead_source = 'delivery' THEN 'delivery' ELSE 'other sources' END"
DEAL_GROUPINGS = {"source": (_SOURCE, "TRUE"), **{by: (sql, "o.lead_source = 'delivery'") for by, sql in LEAD_GROUPS.items()}}


def deals_behind(con, filters: Filters | Period, by: str, group: str) -> pd.DataFrame:
    """The deals closing in the period behind one bar of ``delivery_vs_other_sources`` (by
    "source") or ``delivery_leads_by`` (by "team" or "person"), latest first."""
    filters = Filters.of(filters)
    group_sql, counted = DEAL_GROUPINGS[by]
    where, params = filters.within("deal", "close_date")
    frame = con.execute(
        f"""SELECT opportunity_id, account_id, owner AS sales_rep, lead_source, referred_by, stage, is_won,
                   close_date, CAST(amount AS DOUBLE) AS amount, cycle_days,
                   CAST(delivered_revenue - delivered_cost AS DOUBLE) / NULLIF(CAST(delivered_revenue AS DOUBLE), 0) AS delivered_margin
            FROM mart_opportunity AS o
            WHERE {counted} AND {group_sql} = ? AND {where}
            ORDER BY close_date DESC, opportunity_id""",
        [group] + params,
    ).df()
    return _named(con, frame)


# Escalation groupings that drill: ESCALATION_GROUPS, and sales involvement (escalation_aftermath).
_ESCALATION_DRILLS = {**ESCALATION_GROUPS, "sales_involved": "COALESCE(sales_involved, FALSE)"}


def escalations_behind(con, filters: Filters | Period, by: str, group) -> pd.DataFrame:
    """The escalations opened in the period behind one bar of ``escalation_breakdown`` (by
    severity or category) or ``escalation_aftermath`` (by sales_involved: True/False), latest first."""
    filters = Filters.of(filters)
    where, params = filters.within("escalation", "CAST(opened_at AS DATE)")
    frame = con.execute(
        f"""SELECT escalation_id, account_id, project_id, opened_at, resolved_at, severity, category, sales_involved,
                   hours_to_resolve
            FROM mart_escalation
            WHERE {_ESCALATION_DRILLS[by]} = ? AND {where}
            ORDER BY opened_at DESC, escalation_id""",
        [bool(group) if by == "sales_involved" else group] + params,
    ).df()
    return _named(con, frame)


# Project groupings that drill: re-business or not (rebusiness_vs_first_time), the rep who sold it (sold_vs_delivered_by_rep).
_PROJECT_DRILLS = {"business": "CASE WHEN COALESCE(is_rebusiness, FALSE) THEN 're-business' ELSE 'first-time business' END",
                   "sales_rep": "COALESCE(sold_by, 'unknown')"}


def projects_behind(con, filters: Filters | Period, by: str, group: str) -> pd.DataFrame:
    """The projects completed in the period behind one bar of ``rebusiness_vs_first_time`` (by
    "business") or ``sold_vs_delivered_by_rep`` (by "sales_rep"), latest first."""
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
    return _named(con, frame)
