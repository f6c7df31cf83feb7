"""The headline KPIs (the Overview's tiles, the board pack's table, ``metrics --json``) and the
monthly trend. NPS is ``100 * avg(nps_points)``, CSAT ``avg(csat_points)`` and every delivered
margin ``sum(profit) / sum(revenue)``, from the marts that hold those columns."""

from __future__ import annotations

import math
import re
from datetime import date

import pandas as pd

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import Filters, Period, data_date
from pipelines.metrics.sources import loaded_sources
from pipelines.metrics.statistics import nps_difference, nps_interval, proportion_difference, wilson_interval
from pipelines.models import sql_of

define("nps", "NPS = % promoters (9-10) - % detractors (0-6) of NPS answers in the period; -100..100.")
define("csat_pct", "CSAT = share of CSAT answers (1-5 scale) scoring 4 or 5.")
define("responses", "Survey answers (NPS and CSAT) dated in the period.")
define("won_amount", "Sum of the sell price of deals won with a close date in the period.")
define("rebusiness_rate", (
    "Re-business = a won deal whose account already had a won deal that closed earlier. "
    "Rate = re-business won amount / all won amount, deals closed in the period."
))
define("rebusiness_margin", "Delivered margin of completed projects (completed in the period) of re-business deals.")
define("delivered_margin", (
    "Delivered margin = sum(revenue - actual cost) / sum(revenue) of projects completed in the period."
))
define("delivery_leads", (
    "Delivery-generated leads = deals with lead source 'delivery' closing in the period: count, "
    "won, win rate = won / closed, net sales = won amount, margin = delivered margin of their "
    "projects completed in the period."
))
define("escalations", (
    "Escalations opened in the period; with sales involved; median hours from opened to "
    "resolved of those resolved."
))

# The marts mart_daily_totals adds up per day, each with the Filters grain and the date that place
# its rows in a period (Filters.within).
DAILY_INPUTS = {"mart_response_outcome": ("account", "answer_date"), "mart_opportunity": ("deal", "close_date"),
                "mart_project": ("project", "actual_end_date")}


def daily_totals(filters: Filters) -> tuple[str, list]:
    """SQL of mart_daily_totals' rows (one a day) for ``filters``, and its parameters. Without a
    dimension filter: the mart's rows in the period, a few thousand at most. With one: the mart's
    own SQL run on the rows of its inputs the filters keep, so both add up the same columns."""
    if filters.scope("account")[0] == "TRUE":  # no dimension filtered: none of the grains is
        return "SELECT * FROM mart_daily_totals WHERE day BETWEEN ? AND ?", filters.period.params
    kept, params, sql = [], [], sql_of("mart_daily_totals")
    for mart, (grain, day) in DAILY_INPUTS.items():
        where, where_params = filters.within(grain, day)
        kept.append(f"kept_{mart} AS (SELECT * FROM {mart} WHERE {where})")
        params += where_params
        sql = re.sub(rf"\b{mart}\b", f"kept_{mart}", sql)
    return f"WITH {', '.join(kept)} SELECT * FROM ({sql}) AS totals", params


# Each figure as mart_daily_totals' counts and sums make it: NPS = 100 * avg(nps_points) and
# CSAT = avg(csat_points) over the answers, margins sum(profit) / sum(revenue).
TOTAL_KPIS = """
SELECT
  COALESCE(sum(responses), 0) AS responses,
  100.0 * (CAST(sum(promoters) - sum(detractors) AS DOUBLE) / NULLIF(sum(nps_answers), 0)) AS nps,
  CAST(sum(satisfied) AS DOUBLE) / NULLIF(sum(csat_answers), 0) AS csat_pct,
  sum(won_amount) AS won_amount,
  CAST(sum(rebusiness_won_amount) AS DOUBLE) / NULLIF(CAST(sum(won_amount) AS DOUBLE), 0) AS rebusiness_rate,
  sum(profit) / NULLIF(sum(revenue), 0) AS delivered_margin,
  sum(rebusiness_profit) / NULLIF(sum(rebusiness_revenue), 0) AS rebusiness_margin,
  COALESCE(sum(lead_deals), 0) AS count,
  COALESCE(sum(lead_won), 0) AS won,
  1.0 * sum(lead_won) / NULLIF(sum(lead_closed), 0) AS win_rate,
  COALESCE(sum(lead_won_amount), 0) AS net_sales,
  sum(lead_profit) / NULLIF(sum(lead_revenue), 0) AS margin
FROM ({totals}) AS daily
"""

ESCALATION_KPIS = """
SELECT
  count(*) AS count,
  COALESCE(sum(CASE WHEN sales_involved THEN 1 ELSE 0 END), 0) AS with_sales_involved,
  median(hours_to_resolve) AS median_hours_to_resolve
FROM mart_escalation
WHERE {where}
"""


def one_row(con, sql: str, where: tuple[str, list], name: str = "where") -> dict:
    """The one row of ``sql`` with ``{name}`` filled from an (SQL, params) pair (``Filters.within``, ``daily_totals``)."""
    condition, params = where
    cursor = con.execute(sql.format(**{name: condition}), params)
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return {n: plain(v) for n, v in zip(names, row)}


def plain(value):
    """DuckDB decimals and NaN become JSON-friendly floats / None."""
    if value is None:
        return None
    if hasattr(value, "as_tuple"):  # Decimal
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def kpis(con, filters: Filters | Period = Filters()) -> dict:
    """The headline KPIs with the stable keys documented in the README. A figure whose source is
    not loaded is None (not 0): no deal export -> no won amount, no escalation export -> no counts."""
    filters = Filters.of(filters)
    loaded = loaded_sources(con)
    totals = one_row(con, TOTAL_KPIS, daily_totals(filters), "totals")
    escalations = one_row(con, ESCALATION_KPIS, filters.within("escalation", "CAST(opened_at AS DATE)"))
    if not loaded["escalations"]:
        escalations = {key: None for key in escalations}
    lead_figures = {k: totals[k] for k in ("count", "won", "win_rate", "net_sales", "margin")}
    if not loaded["lead_sources"]:
        lead_figures = {key: None for key in lead_figures}
    return {
        "nps": totals["nps"],
        "csat_pct": totals["csat_pct"],
        "responses": totals["responses"] if loaded["nps"] or loaded["csat"] else None,
        "rebusiness_rate": totals["rebusiness_rate"],
        "rebusiness_margin": totals["rebusiness_margin"],
        "delivered_margin": totals["delivered_margin"],
        "won_amount": (totals["won_amount"] or 0.0) if loaded["deals"] else None,
        "delivery_leads": lead_figures,
        "escalations": escalations,
    }


def monthly_trend(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per month: NPS and answers, CSAT (share of 4-5) and answers, won amount and re-business rate, delivered margin; ``partial``
    marks the month of the data date when the data stops inside it."""
    filters = Filters.of(filters)
    totals, params = daily_totals(filters)
    # One statement (with a dimension filter the daily totals are computed once, not per part); a
    # part keeps the months that have its facts, as a GROUP BY over its own rows would.
    months = con.execute(
        f"""SELECT date_trunc('month', day) AS month,
                  CAST(COALESCE(sum(promoters), 0) AS BIGINT) AS promoters,
                  CAST(COALESCE(sum(detractors), 0) AS BIGINT) AS detractors,
                  CAST(COALESCE(sum(nps_answers), 0) AS BIGINT) AS nps_answers,
                  CAST(COALESCE(sum(satisfied), 0) AS BIGINT) AS satisfied,
                  CAST(COALESCE(sum(csat_answers), 0) AS BIGINT) AS csat_answers,
                  CAST(sum(won_amount) AS DOUBLE) AS won_amount,
                  CAST(sum(rebusiness_won_amount) AS DOUBLE) / NULLIF(CAST(sum(won_amount) AS DOUBLE), 0) AS rebusiness_rate,
                  COALESCE(sum(closed_deals), 0) AS closed_deals,
                  sum(profit) / NULLIF(sum(revenue), 0) AS delivered_margin,
                  COALESCE(sum(delivered_projects), 0) AS delivered_projects
           FROM ({totals}) AS daily GROUP BY date_trunc('month', day)""",
        params,
    ).df()
    survey = months.loc[months["nps_answers"] > 0, ["month", "promoters", "detractors", "nps_answers"]].reset_index(drop=True)
    survey["nps"], survey["nps_ci_low"], survey["nps_ci_high"] = nps_interval(
        survey["promoters"], survey["detractors"], survey["nps_answers"]
    )
    csat = months.loc[months["csat_answers"] > 0, ["month", "satisfied", "csat_answers"]].reset_index(drop=True)
    csat["csat"] = csat["satisfied"] / csat["csat_answers"]
    csat["csat_ci_low"], csat["csat_ci_high"] = wilson_interval(csat["satisfied"].to_numpy(),
                                                                csat["csat_answers"].to_numpy())
    survey = survey.merge(csat.drop(columns="satisfied"), on="month", how="outer")
    deals = months.loc[months["closed_deals"] > 0, ["month", "won_amount", "rebusiness_rate"]]
    margins = months.loc[months["delivered_projects"] > 0, ["month", "delivered_margin"]]
    trend = survey.merge(deals, on="month", how="outer").merge(margins, on="month", how="outer")
    for column in ("nps", "nps_ci_low", "nps_ci_high", "csat", "csat_ci_low", "csat_ci_high", "delivered_margin",
                   "rebusiness_rate"):
        trend[column] = trend[column].astype(float)
    latest = data_date(con)
    trend["partial"] = _partial_month(trend["month"], latest)
    return trend.sort_values("month", ignore_index=True)


def _partial_month(months: pd.Series, latest: date | None) -> pd.Series:
    """True for the month of ``latest`` when ``latest`` is not that month's last day."""
    if latest is None or months.empty:
        return pd.Series(False, index=months.index)
    stamp = pd.Timestamp(latest)
    is_partial = not stamp.is_month_end
    return (pd.to_datetime(months) == stamp.to_period("M").start_time) & is_partial


CHANGE_COUNTS = """
SELECT sum(nps_answers) AS nps_answers, sum(promoters) AS promoters, sum(detractors) AS detractors,
       sum(csat_answers) AS csat_answers, sum(satisfied) AS satisfied, sum(lead_closed) AS closed, sum(lead_won) AS won
FROM ({totals}) AS daily
"""


def _change_counts(con, filters: Filters) -> dict:
    return {name: int(count or 0) for name, count in one_row(con, CHANGE_COUNTS, daily_totals(filters), "totals").items()}


def kpi_changes(con, filters: Filters | Period = Filters()) -> dict:
    """For the KPIs that carry sampling noise (NPS, CSAT, the delivery leads' win rate): this period
    minus the previous one with its 95% interval, n both sides, and ``within_noise`` (the interval
    holds 0, so the Overview draws the delta neutral and says so). {} for an open-ended period; a
    KPI without answers (or deals) on a side is left out."""
    filters = Filters.of(filters)
    previous = filters.previous()
    if previous is None:
        return {}
    now, before = _change_counts(con, filters), _change_counts(con, previous)
    changes = {
        "nps": nps_difference(now["promoters"], now["detractors"], now["nps_answers"],
                              before["promoters"], before["detractors"], before["nps_answers"]),
        "csat_pct": proportion_difference(now["satisfied"], now["csat_answers"], before["satisfied"], before["csat_answers"]),
        "delivery_leads.win_rate": proportion_difference(now["won"], now["closed"], before["won"], before["closed"]),
    }
    return {key: change | {"within_noise": change["ci_low"] <= 0 <= change["ci_high"]}
            for key, change in changes.items() if change["effect"] is not None}
