"""Accounts: which clients are healthy, which are at risk and why; one account's whole story."""

import pandas as pd
import streamlit as st

from pipelines import metrics
from pipelines.reporting import charts
from ui import data, exports, filters
from pipelines.reporting.formats import MISSING, number
from pipelines.reporting.kpis import BY_KEY
from ui.text import plain

# The choice that shows the list rather than one account (also the URL value ?account=All+accounts).
ALL_ACCOUNTS = "All accounts"

# The metrics this page shows: its Definitions expander and every export explain them.
DEFINED = ("account_health", "nps", "rebusiness_rate", "delivered_margin")

st.title("Accounts")
st.caption(
    "For team leads: each account's health from satisfaction, escalations, margin and engagement, what pulled "
    "it down, and, for one account, everything that happened to it in date order."
)

chosen, data_date, stamp, _ = filters.page_filters()

with st.expander("Health score weights"):
    st.caption("How much each component counts in the 0-100 score; they need not sum to 1.")
    weight_columns = st.columns(len(metrics.HEALTH_WEIGHTS))
    weights = tuple(
        (
            name,
            place.number_input(
                name,
                0.0,
                1.0,
                default,
                step=0.05,
                key=f"w_{name}",
                bind="query-params",
                help=metrics.HEALTH_COMPONENTS[name],
            ),
        )
        for place, (name, default) in zip(weight_columns, metrics.HEALTH_WEIGHTS.items())
    )
health = data.query(metrics.account_health, chosen, weights)
names = sorted(health["account_name"].dropna().unique())


def open_selected_row() -> None:
    """A row picked in the list opens that account (through the URL-bound choice below)."""
    rows = st.session_state["account_list"].selection.rows
    if rows:
        st.session_state["account"] = health.iloc[rows[0]]["account_name"]


account = st.selectbox("Open an account", [ALL_ACCOUNTS] + names, key="account", bind="query-params")

if account == ALL_ACCOUNTS:
    at_risk = health[health["at_risk_reasons"] != ""]
    row = st.columns(3)
    row[0].metric("Accounts", number(len(health)))
    row[1].metric(f"At risk (a component under {metrics.AT_RISK_BELOW:.0f})", number(len(at_risk)))
    row[2].metric("Median health", number(health["health"].median()))
    # What reads first: the score and why it is low; the figures behind it after.
    listed = health[
        ["account_name", "health", "pulled_down_by", "at_risk_reasons", "trend_arrow", "nps_12m", "margin_12m",
         "open_escalations", "days_since_activity", "owner"]
        + [f"{n}_score" for n in metrics.HEALTH_COMPONENTS]
    ]
    exports.show_table(
        listed,
        "Account health",
        stamp,
        definitions=("account_health",),
        on_select=open_selected_row,
        selection_mode="single-row",
        key="account_list",
        column_config={
            "health": st.column_config.ProgressColumn("Health", min_value=0, max_value=100, format="%d"),
            "trend_arrow": st.column_config.TextColumn("NPS trend", help="last 6 months against the 6 before"),
            "at_risk_reasons": st.column_config.TextColumn("At-risk reasons", width="large"),
        },
    )
    as_of = chosen.period.end or data_date
    st.caption(f"Health as of {as_of:%d %b %Y}; lowest first. Select a row (or pick above) to open the account.")
else:
    mine = health[health["account_name"] == account]
    if mine.empty:
        st.warning(f"{plain(account)} is outside the filters in the sidebar.")
        st.stop()
    facts = mine.iloc[0]
    account_id = facts["account_id"]
    st.header(plain(account))
    st.caption(plain(f"Owner {facts['owner']} · {facts['segment']} · {facts['region']} · {account_id}"))
    row = st.columns(4)
    row[0].metric("Health", number(facts["health"]), help=metrics.DEFINITIONS["account_health"])
    row[1].metric("Pulled down by", facts["pulled_down_by"] or MISSING)
    row[2].metric("NPS trend", facts["trend_arrow"] or MISSING, help="NPS of the last 6 months against the 6 before")
    row[3].metric("Open escalations", number(facts["open_escalations"]))
    components = {name: facts[f"{name}_score"] for name in metrics.HEALTH_COMPONENTS}
    left, right = st.columns([1, 1])
    exports.show_chart(
        charts.component_bars(components, "Health components", metrics.AT_RISK_BELOW),
        mine[["account_name", "health"] + [f"{n}_score" for n in metrics.HEALTH_COMPONENTS]],
        f"Health of {account}",
        stamp,
        left,
        definitions=("account_health",),
    )
    right.markdown("**At-risk reasons**")
    right.markdown(
        "\n".join(f"- {reason}" for reason in facts["at_risk_reasons"].split("; "))
        if facts["at_risk_reasons"]
        else "None."
    )
    right.caption("\n\n".join(f"{name}: {text}" for name, text in metrics.HEALTH_COMPONENTS.items()))

    st.subheader("Against the portfolio")
    this = data.query(metrics.kpis, metrics.Filters(period=chosen.period, accounts=(account_id,)))
    portfolio = data.query(metrics.kpis, chosen)
    compared = [BY_KEY[key] for key in ("nps", "csat_pct", "won_amount", "rebusiness_rate", "delivered_margin",
                                        "escalations")]
    against = pd.DataFrame({"KPI": [k.label for k in compared], "This account": [k.value(this) for k in compared],
                            "Portfolio": [k.value(portfolio) for k in compared]})
    exports.show_table(against, f"{account} against the portfolio", stamp,
                       definitions=[k.definition for k in compared])
    st.caption(f"Period: {filters.describe(chosen.period)}; the portfolio is every account the sidebar's filters keep.")

    st.subheader("Timeline")
    timeline = data.query(metrics.account_timeline, account_id)
    exports.show_table(
        timeline,
        f"Timeline of {account}",
        stamp,
    )
    st.caption(
        f"{len(timeline):,} events, oldest first: deals (close date, else created), project starts and ends, "
        "escalations, activities and survey answers."
    )

exports.definitions(*DEFINED)
