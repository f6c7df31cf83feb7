"""Delivery-generated leads (mart_opportunity.is_delivery_lead): win rate, net sales and the
margin of what followed, against the other sources, by referring person and team, by quarter;
and the deals behind each bar."""

from __future__ import annotations

import pandas as pd

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import Filters, Period, data_date, named
from pipelines.metrics.statistics import with_intervals

# A deal's source as the comparison groups it (constant SQL on mart_opportunity).
SOURCE = "CASE WHEN is_delivery_lead THEN 'delivery' ELSE 'other sources' END"
# The delivery team a referrer belongs to: the team of most of the projects they lead.
_REFERRER_TEAM = "(SELECT mode(p.delivery_team) FROM fct_project AS p WHERE p.delivery_manager = o.referred_by)"
LEAD_GROUPS = {"person": "COALESCE(o.referred_by, 'unknown')", "team": f"COALESCE({_REFERRER_TEAM}, 'unknown')"}


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
                   CAST(sum(delivered_profit) AS DOUBLE) / NULLIF(CAST(sum(delivered_revenue) AS DOUBLE), 0) AS margin,
                   median(CASE WHEN is_closed THEN cycle_days END) AS median_cycle_days
            FROM mart_opportunity AS o
            WHERE {counted} AND {where}
            GROUP BY 1 ORDER BY deals DESC""",
        params,
    ).df()
    return with_intervals(frame, "won", "closed").rename(columns={"rate": "win_rate"})


define("delivery_vs_other", (
    "Deals closing in the period, delivery-sourced against all other sources: win rate = won / closed "
    "(95% Wilson), net sales = won amount, margin = delivered margin of their completed projects, "
    "cycle = median days from created to closed. By person = referred_by; by team = the delivery "
    "team of most of the projects the referrer leads."
))


def delivery_vs_other_sources(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Delivery-sourced deals against all other sources: count, win rate (95%), net sales,
    margin of the projects that followed, median cycle days."""
    return _deal_groups(con, Filters.of(filters), SOURCE).rename(columns={"grp": "source"})


def delivery_leads_by(con, filters: Filters | Period = Filters(), by: str = "team") -> pd.DataFrame:
    """Delivery-sourced deals per referring person (referred_by) or their delivery team."""
    frame = _deal_groups(con, Filters.of(filters), LEAD_GROUPS[by], "o.is_delivery_lead")
    return frame.rename(columns={"grp": by})


def lead_sources_by_quarter(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per quarter: delivery-sourced deals against the others (win rate with 95%, net sales);
    ``partial`` marks the quarter of the data date when the data stops inside it."""
    frame = _deal_groups(con, Filters.of(filters), f"CAST(date_trunc('quarter', close_date) AS DATE) || '|' || {SOURCE}")
    # A filter that leaves no deal gives no group to split: two empty columns, not a crash.
    frame[["quarter", "source"]] = frame.pop("grp").str.split("|", n=1, expand=True).reindex(columns=[0, 1])
    frame["quarter"] = pd.PeriodIndex(pd.to_datetime(frame["quarter"]), freq="Q").astype(str)
    latest = data_date(con)
    running = pd.Period(latest, freq="Q") if latest else None
    frame["partial"] = (frame["quarter"] == str(running)) & bool(latest and running.end_time.date() != latest)
    if running is not None:  # an open deal's expected close date runs past the data date: no quarter after it
        frame = frame[frame["quarter"] <= str(running)]
    return frame.sort_values(["quarter", "source"], ignore_index=True)


# Deal groupings that drill: the SQL of their group, and which deals they count (as _deal_groups).
DEAL_GROUPINGS = {"source": (SOURCE, "TRUE"), **{by: (sql, "o.is_delivery_lead") for by, sql in LEAD_GROUPS.items()}}


def deals_behind(con, filters: Filters | Period, by: str, group: str) -> pd.DataFrame:
    """Drill-down: the deals closing in the period behind one bar of ``delivery_vs_other_sources``
    (by "source") or ``delivery_leads_by`` (by "team" or "person"), latest first."""
    filters = Filters.of(filters)
    group_sql, counted = DEAL_GROUPINGS[by]
    where, params = filters.within("deal", "close_date")
    frame = con.execute(
        f"""SELECT opportunity_id, account_id, owner AS sales_rep, lead_source, referred_by, stage, is_won,
                   close_date, CAST(amount AS DOUBLE) AS amount, cycle_days,
                   CAST(delivered_profit AS DOUBLE) / NULLIF(CAST(delivered_revenue AS DOUBLE), 0) AS delivered_margin
            FROM mart_opportunity AS o
            WHERE {counted} AND {group_sql} = ? AND {where}
            ORDER BY close_date DESC, opportunity_id""",
        [group] + params,
    ).df()
    return named(con, frame)
