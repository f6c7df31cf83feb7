"""The headline KPIs (the Overview's tiles, the board pack's table, ``metrics --json``) and the
monthly trend. NPS is ``100 * avg(nps_points)``, CSAT ``avg(csat_points)`` and every delivered
margin ``sum(profit) / sum(revenue)``, from the marts that hold those columns."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import Filters, Period, data_date
from pipelines.metrics.sources import loaded_sources
from pipelines.metrics.statistics import nps_difference, nps_interval, proportion_difference, wilson_interval

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

SURVEY_KPIS = """
SELECT
  count(*) AS responses,
  100.0 * avg(nps_points) AS nps,
  avg(csat_points) AS csat_pct
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
  sum(profit) / NULLIF(sum(revenue), 0) AS delivered_margin,
  sum(CASE WHEN is_rebusiness THEN profit END) / NULLIF(sum(CASE WHEN is_rebusiness THEN revenue END), 0) AS rebusiness_margin,
  sum(CASE WHEN is_delivery_lead THEN profit END) / NULLIF(sum(CASE WHEN is_delivery_lead THEN revenue END), 0) AS delivery_margin
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
WHERE is_delivery_lead AND {where}
"""

ESCALATION_KPIS = """
SELECT
  count(*) AS count,
  COALESCE(sum(CASE WHEN sales_involved THEN 1 ELSE 0 END), 0) AS with_sales_involved,
  median(hours_to_resolve) AS median_hours_to_resolve
FROM mart_escalation
WHERE {where}
"""


def one_row(con, sql: str, where: tuple[str, list]) -> dict:
    """The one row of ``sql`` with ``{where}`` filled from a ``Filters.within`` (SQL, params) pair."""
    condition, params = where
    cursor = con.execute(sql.format(where=condition), params)
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
    survey = one_row(con, SURVEY_KPIS, filters.within("account", "answer_date"))
    deals = one_row(con, DEAL_KPIS, filters.within("deal", "close_date"))
    margins = one_row(con, MARGIN_KPIS, filters.within("project", "actual_end_date"))
    leads = one_row(con, DELIVERY_LEAD_KPIS, filters.within("deal", "close_date"))
    leads["margin"] = margins.pop("delivery_margin")
    escalations = one_row(con, ESCALATION_KPIS, filters.within("escalation", "CAST(opened_at AS DATE)"))
    if not loaded["escalations"]:
        escalations = {key: None for key in escalations}
    lead_figures = {k: leads[k] for k in ("count", "won", "win_rate", "net_sales", "margin")}
    if not loaded["lead_sources"]:
        lead_figures = {key: None for key in lead_figures}
    return {
        "nps": survey["nps"],
        "csat_pct": survey["csat_pct"],
        "responses": survey["responses"] if loaded["nps"] or loaded["csat"] else None,
        "rebusiness_rate": deals["rebusiness_rate"],
        "rebusiness_margin": margins["rebusiness_margin"],
        "delivered_margin": margins["delivered_margin"],
        "won_amount": (deals["won_amount"] or 0.0) if loaded["deals"] else None,
        "delivery_leads": lead_figures,
        "escalations": escalations,
    }


def monthly_trend(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per month: NPS and answers, CSAT (share of 4-5) and answers, won amount and re-business rate, delivered margin; ``partial``
    marks the month of the data date when the data stops inside it."""
    filters = Filters.of(filters)
    where, params = filters.within("account", "answer_date")
    survey = con.execute(
        f"""SELECT date_trunc('month', answer_date) AS month,
                  count(CASE WHEN nps_points = 1 THEN 1 END) AS promoters,
                  count(CASE WHEN nps_points = -1 THEN 1 END) AS detractors,
                  count(*) AS nps_answers
           FROM mart_response_outcome
           WHERE survey_type = 'nps' AND {where} GROUP BY 1""",
        params,
    ).df()
    survey["nps"], survey["nps_ci_low"], survey["nps_ci_high"] = nps_interval(
        survey["promoters"], survey["detractors"], survey["nps_answers"]
    )
    csat = con.execute(
        f"""SELECT date_trunc('month', answer_date) AS month,
                  count(CASE WHEN csat_points = 1 THEN 1 END) AS satisfied, count(*) AS csat_answers
           FROM mart_response_outcome
           WHERE survey_type = 'csat' AND {where} GROUP BY 1""",
        params,
    ).df()
    csat["csat"] = csat["satisfied"] / csat["csat_answers"]
    csat["csat_ci_low"], csat["csat_ci_high"] = wilson_interval(csat["satisfied"].to_numpy(),
                                                                csat["csat_answers"].to_numpy())
    survey = survey.merge(csat.drop(columns="satisfied"), on="month", how="outer")
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
                  sum(profit) / NULLIF(sum(revenue), 0) AS delivered_margin
           FROM mart_project WHERE is_delivered AND {where} GROUP BY 1""",
        params,
    ).df()
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
SELECT
  (SELECT count(nps_points) FROM mart_response_outcome WHERE {answers}) AS nps_answers,
  (SELECT count(CASE WHEN nps_points = 1 THEN 1 END) FROM mart_response_outcome WHERE {answers}) AS promoters,
  (SELECT count(CASE WHEN nps_points = -1 THEN 1 END) FROM mart_response_outcome WHERE {answers}) AS detractors,
  (SELECT count(csat_points) FROM mart_response_outcome WHERE {answers}) AS csat_answers,
  (SELECT count(CASE WHEN csat_points = 1 THEN 1 END) FROM mart_response_outcome WHERE {answers}) AS satisfied,
  (SELECT count(CASE WHEN is_closed THEN 1 END) FROM mart_opportunity WHERE is_delivery_lead AND {deals}) AS closed,
  (SELECT count(CASE WHEN is_won THEN 1 END) FROM mart_opportunity WHERE is_delivery_lead AND {deals}) AS won
"""


def _change_counts(con, filters: Filters) -> dict:
    answers, answer_params = filters.within("account", "answer_date")
    deals, deal_params = filters.within("deal", "close_date")
    cursor = con.execute(CHANGE_COUNTS.format(answers=answers, deals=deals), answer_params * 5 + deal_params * 2)
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone()))


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
