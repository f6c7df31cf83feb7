"""Delivery-generated leads: the deals delivery staff bring in, credited against the other sources."""

import streamlit as st

from pipelines import metrics
from pipelines.reporting import charts
from ui import data, drill, exports, filters
from pipelines.reporting.formats import currency_unit, delta, money, money_delta, number, pct

# The metrics this page shows: its Definitions expander and every export explain them.
DEFINED = ("delivery_vs_other", "delivery_leads", "delivered_margin")

st.title("Delivery-generated leads")
st.caption(
    "Delivery staff generate leads nobody credits: how often those deals are won, for how much and at what "
    "margin, against every other lead source, and who brings them."
)

chosen, data_date, stamp, previous = filters.page_filters()
st.caption(filters.sources_line("deals", "lead_sources", "projects"))
if not filters.loaded("lead_sources"):
    # Without lead sources every deal would count as "other": say what is missing instead of 0.
    st.info(metrics.missing_note("lead_sources"))
    st.stop()


def split(scope) -> dict:
    table = data.query(metrics.delivery_vs_other_sources, scope)
    return {row["source"]: row for row in table.to_dict("records")}, table


now, table = split(chosen)
before = split(previous)[0] if previous else {}
delivery, others = now.get("delivery", {}), now.get("other sources", {})
was = before.get("delivery", {})
row = st.columns(5)
row[0].metric(
    "Deals",
    number(delivery.get("deals")),
    delta(delivery.get("deals"), was.get("deals"), digits=0),
    help="Delivery-sourced deals created in the period.",
)
row[1].metric(
    "Win rate",
    pct(delivery.get("win_rate")),
    delta(delivery.get("win_rate"), was.get("win_rate"), 100, " pts"),
    help=f"Won / closed delivery-sourced deals; other sources: {pct(others.get('win_rate'))}",
)
row[2].metric(
    "Net sales",
    money(delivery.get("net_sales")),
    money_delta(delivery.get("net_sales"), was.get("net_sales")),
    help=f"Won amount of delivery-sourced deals; other sources: {money(others.get('net_sales'))}",
)
row[3].metric(
    "Delivered margin",
    pct(delivery.get("margin")),
    delta(delivery.get("margin"), was.get("margin"), 100, " pts"),
    help=f"Margin of the projects that followed these deals; other sources: {pct(others.get('margin'))}",
)
row[4].metric(
    "Cycle (days)",
    number(delivery.get("median_cycle_days")),
    delta(delivery.get("median_cycle_days"), was.get("median_cycle_days"), digits=0),
    delta_color="inverse",
    help=f"Median days from created to closed; other sources: {number(others.get('median_cycle_days'))} days",
)
st.caption(filters.in_force(chosen, previous))

left, right = st.columns(2)
by_source = exports.show_chart(
    charts.source_win_rate_bars(table),
    table,
    "Win rate delivery vs other sources",
    stamp,
    left,
    definitions=("delivery_vs_other",),
    select_key="win-source",
)
exports.show_chart(
    charts.interval_bars(
        table,
        "source",
        "margin",
        "Delivered margin of the projects that followed",
        "delivered margin",
        charts.SOURCE_COLOURS,
        low="margin",
        high="margin",
        n="delivered_deals",
        text_format="{:.1%}",
        y_range=None,
    ),
    table,
    "Margin delivery vs other sources",
    stamp,
    right,
    definitions=("delivery_vs_other", "delivered_margin"),
)
st.caption(
    f"n under each bar: closed deals (win rate), deals with delivered projects (margin); whiskers are 95% Wilson "
    f"intervals; the margin is pooled over the projects (no interval); groups under {charts.SMALL_N} are greyed. "
    "Click a win-rate bar to list its deals."
)
drill.rows_behind(
    by_source,
    table,
    lambda bar: data.query(metrics.deals_behind, chosen, "source", bar["source"]),
    lambda bar: f"Deals from {bar['source']} closing in the period",
    stamp,
    "win-source",
)

st.subheader("Who brings them")
teams = data.query(metrics.delivery_leads_by, chosen, "team")
people = data.query(metrics.delivery_leads_by, chosen, "person")
by_team_click = exports.show_chart(
    charts.interval_bars(
        teams, "team", "win_rate", "Delivery leads' win rate by the referrer's team", "won / closed", n="closed"
    ),
    teams,
    "Delivery leads by team",
    stamp,
    definitions=("delivery_leads",),
    select_key="win-team",
)
exports.show_table(
    people,
    "Delivery leads by person",
    stamp,
    definitions=("delivery_leads",),
    hide=("closed", "won", "delivered_deals"),  # the win rate and margin's counts: in the export, off the screen
)
drill.rows_behind(
    by_team_click,
    teams,
    lambda bar: data.query(metrics.deals_behind, chosen, "team", bar["team"]),
    lambda bar: f"Delivery-sourced deals referred by {bar['team']}",
    stamp,
    "win-team",
)

st.subheader("Trend by quarter")
quarters = data.query(metrics.lead_sources_by_quarter, chosen)
left, right = st.columns(2)
exports.show_chart(
    charts.group_lines(
        quarters,
        "quarter",
        "win_rate",
        "source",
        "Win rate by quarter",
        "won / closed",
        charts.SOURCE_COLOURS,
        ".0%",
        "ci_low",
        "ci_high",
    ),
    quarters,
    "Win rate by quarter and source",
    stamp,
    left,
    definitions=("delivery_vs_other",),
)
exports.show_chart(
    charts.group_lines(
        quarters,
        "quarter",
        "net_sales",
        "source",
        "Net sales by quarter",
        f"won amount ({currency_unit()})",
        charts.SOURCE_COLOURS,
    ),
    quarters,
    "Net sales by quarter and source",
    stamp,
    right,
    definitions=("delivery_leads",),
)
if "partial" in quarters.columns and quarters["partial"].any():
    st.caption(f"The last quarter is partial: it runs to the data date ({data_date:%d %b %Y}); "
               "drawn as an open circle.")

exports.definitions(*DEFINED)
