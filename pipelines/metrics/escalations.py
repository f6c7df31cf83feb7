"""Escalations: count, rate per active project, time to resolve and sales involvement by
severity or category; what followed them (next satisfaction, re-business); the escalations
behind each bar."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import LATEST, Filters, Period, named
from pipelines.metrics.satisfaction import check_measure, satisfaction_of
from pipelines.metrics.statistics import with_intervals

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


define("escalation_rate", (
    "Escalations opened in the period per project active in it (started by its end and not "
    "completed before its start); median hours from opened to resolved; share with sales involved "
    "(95% Wilson)."
))


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
    frame = with_intervals(frame, "with_sales", "escalations").rename(
        columns={"rate": "sales_share", "ci_low": "sales_ci_low", "ci_high": "sales_ci_high"})
    if by == "severity":
        frame["order"] = frame["severity"].map({s: i for i, s in enumerate(SEVERITY_ORDER)}).fillna(len(SEVERITY_ORDER))
        return frame.sort_values("order", ignore_index=True).drop(columns="order")
    return frame.sort_values("escalations", ascending=False, ignore_index=True)


define("escalation_aftermath", (
    "For escalations opened in the period, with and without sales involved: median hours to resolve; "
    "re-business won by the account within 12 months (only escalations whose 12 months are complete; "
    "95% Wilson) and the satisfaction (NPS or CSAT) of the account's next answer within 12 months "
    "(95% interval)."
))
# How far after an escalation its consequences are looked for (DOMAIN.md: re-business within 12 months).
AFTERMATH_MONTHS = 12


def escalation_aftermath(con, filters: Filters | Period = Filters(), measure: str = "nps") -> pd.DataFrame:
    """Escalations with and without sales involved: median hours to resolve, and what followed on
    the account: re-business won within 12 months (escalations whose 12 months are complete;
    Wilson 95%) and the satisfaction of the account's next ``measure`` answer within 12 months
    (next_satisfaction; also named next_nps or next_csat)."""
    check_measure(measure)
    filters = Filters.of(filters)
    where, params = filters.within("escalation", "CAST(opened_at AS DATE)")
    # What followed each escalation is precomputed per escalation (mart_escalation_aftermath).
    frame = con.execute(
        f"""WITH escalations AS (
                 SELECT escalation_id, sales_involved, hours_to_resolve, CAST(opened_at AS DATE) AS opened
                 FROM mart_escalation
                 WHERE {where})
            SELECT COALESCE(e.sales_involved, FALSE) AS sales_involved, count(*) AS escalations,
                   median(e.hours_to_resolve) AS median_hours_to_resolve,
                   sum(CASE WHEN e.opened + INTERVAL {AFTERMATH_MONTHS} MONTH <= d.data_date THEN 1 ELSE 0 END) AS complete,
                   sum(CASE WHEN e.opened + INTERVAL {AFTERMATH_MONTHS} MONTH <= d.data_date AND a.rebought_12m
                            THEN 1 ELSE 0 END) AS rebought,
                   count(a.next_{measure}_points) AS next_answers,
                   count(CASE WHEN a.next_{measure}_points = 1 AND ? = 'nps' THEN 1 END) AS next_promoters,
                   count(CASE WHEN a.next_{measure}_points = -1 AND ? = 'nps' THEN 1 END) AS next_detractors,
                   count(CASE WHEN a.next_{measure}_points = 1 AND ? = 'csat' THEN 1 END) AS next_satisfied
            FROM escalations AS e CROSS JOIN mart_data_date AS d
            LEFT JOIN mart_escalation_aftermath AS a ON a.escalation_id = e.escalation_id
            GROUP BY 1 ORDER BY 1""",
        params + [measure, measure, measure],
    ).df()
    frame = with_intervals(frame, "rebought", "complete").rename(columns={"rate": "rebusiness_rate"})
    frame = satisfaction_of(frame, measure, prefix="next_")
    for suffix in ("", "_ci_low", "_ci_high"):
        frame[f"next_{measure}{suffix}"] = frame[f"next_satisfaction{suffix}"]
    return frame


# Escalation groupings that drill: ESCALATION_GROUPS, and sales involvement (escalation_aftermath).
_ESCALATION_DRILLS = {**ESCALATION_GROUPS, "sales_involved": "COALESCE(sales_involved, FALSE)"}


def escalations_behind(con, filters: Filters | Period, by: str, group) -> pd.DataFrame:
    """Drill-down: the escalations opened in the period behind one bar of ``escalation_breakdown``
    (by severity or category) or ``escalation_aftermath`` (by sales_involved: True/False), latest first."""
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
    return named(con, frame)
