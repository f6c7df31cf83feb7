"""Accounts: which clients are healthy, which are at risk and why; one account's whole story."""

import pandas as pd
import streamlit as st

from pipelines import metrics
from pipelines.reporting import charts
from ui import data, exports, filters
from pipelines.reporting.formats import MISSING, number
from pipelines.metrics.accounts import HEALTH_SOURCES
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
measure, label = filters.measure(), filters.measure_label()
st.caption(filters.sources_line(measure, "escalations", "projects", "activities"))

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
health = data.query(metrics.account_health, chosen, weights, measure=measure)
not_loaded = data.query(metrics.missing_components, measure)
if not_loaded:  # the score is reweighted over the components it has data for
    st.info(f"Health leaves out {', '.join(not_loaded)}: " + "; ".join(
        metrics.missing_note(HEALTH_SOURCES[name] or measure) for name in not_loaded)
        + ". The score is reweighted over the other components, and no account is marked at risk for them.")
names = sorted(health["account_name"].dropna().unique())
# Open escalations count 0 when no escalation export is loaded: no figure, not a 0.
escalations_loaded = filters.loaded("escalations")


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
    # What a team lead scans fits a 1440 px screen: the score, its trend, why it is low, whose account and what
    # is open. The evidence, the 12-month figures and the component scores are the account's page and the export.
    shown_components = [n for n in metrics.HEALTH_COMPONENTS if n not in not_loaded]
    scanned = ["account_name", "health", "trend", "pulled_down_by", "at_risk_reasons", "owner"] + (
        ["open_escalations"] if escalations_loaded else [])
    behind = ["evidence", f"{measure}_12m", "answers_12m", "margin_12m", "days_since_activity"] + [
        f"{n}_score" for n in shown_components]
    listed = health.rename(columns={"trend_arrow": "trend"})[scanned + behind]
    exports.show_table(
        listed,
        "Account health",
        stamp,
        definitions=("account_health",),
        hide=behind,
        on_select=open_selected_row,
        selection_mode="single-row",
        key="account_list",
        column_config={
            "health": st.column_config.ProgressColumn("Health", min_value=0, max_value=100, format="%d"),
            "trend": {"help": f"{label} of the last 6 months against the 6 before"},
            "owner": {"label": "Owner", "help": "Account owner"},
        },
    )
    as_of = chosen.period.end or data_date
    st.caption(f"Health as of {as_of:%d %b %Y}; lowest first. Select a row (or pick above) to open the account: "
               "its evidence, components and 12-month figures, which the export holds for every account.")

    builds = data.query(metrics.health_builds)
    if len(builds) < 2:
        st.subheader("Turned at risk since the previous build")
        st.caption("No previous build to compare: " + (
            f"health is kept per build from the build of {builds['built_at'].iloc[0]:%d %b %Y %H:%M} on (data up to "
            f"{builds['data_date'].iloc[0]:%d %b %Y}); the next load will show who turned at risk." if len(builds) else
            "this warehouse's builds predate keeping health per build; the next load starts it."))
    else:
        previous, latest = builds.iloc[-2], builds.iloc[-1]
        since = f"the build of {previous['built_at']:%d %b %Y %H:%M} (data up to {previous['data_date']:%d %b %Y})"
        st.subheader(f"Turned at risk since the previous build, {previous['built_at']:%d %b %Y}")
        turned = data.query(metrics.turned_at_risk_since_previous_build, chosen, measure=measure, weights=weights)
        if turned.empty:
            st.caption(f"No account turned at risk between {since} and the latest build.")
        else:
            turned = turned.merge(health[["account_id", "evidence"]], on="account_id", how="left")
            exports.show_table(turned, "Turned at risk since the previous build", stamp,
                               definitions=("account_health",))
            st.caption(f"{len(turned):,} accounts healthy in {since} and at risk in the latest "
                       f"(data up to {latest['data_date']:%d %b %Y}), with their health then and now and the evidence.")
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
    row[2].metric(f"{label} trend", facts["trend_arrow"] or MISSING,
                  help=f"{label} of the last 6 months against the 6 before")
    row[3].metric("Open escalations", number(facts["open_escalations"]) if escalations_loaded else MISSING,
                  help=None if escalations_loaded else metrics.missing_note("escalations"))
    missing = facts["missing"]
    components = {name: facts[f"{name}_score"] for name in metrics.HEALTH_COMPONENTS if name not in missing.split(", ")}
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
        "\n".join(f"- {plain(reason)}" for reason in facts["at_risk_reasons"].split("; "))
        if facts["at_risk_reasons"]
        else "None."
    )
    right.markdown("**Evidence**")
    evidence = facts["evidence"].split("; ") if facts["evidence"] else []
    right.markdown("\n".join(f"- {plain(item)}" for item in evidence) or "None.")
    if missing:
        right.caption(plain(f"Left out for lack of data: {missing}."))
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

    st.subheader("Health over time")
    history = data.query(metrics.health_history, account_id, measure=measure, weights=weights)
    if len(history) < 2:
        st.caption("Health is kept once per build (each load of exports): "
                   + (f"one build so far, on {history['built_at'].iloc[0]:%d %b %Y}; no previous build to compare."
                      if len(history) else "no build has kept this account's health yet."))
    else:
        exports.show_chart(
            charts.monthly_lines(history.rename(columns={"built_at": "month"}), "health", "Health at each build",
                                 "health (0-100)", from_zero=True),
            history,
            f"Health over time of {account}",
            stamp,
            definitions=("account_health",),
        )
        st.caption(f"Each point is the health a build saw, as of its data date ({len(history):,} builds), "
                   "weighted as above.")

    st.subheader("Timeline")
    timeline = data.query(metrics.account_timeline, account_id, newest_first=True)
    exports.show_table(
        timeline,
        f"Timeline of {account}",
        stamp,
    )
    st.caption(
        f"{len(timeline):,} events, newest first: deals (close date, else created), project starts and ends, "
        "escalations, activities and survey answers."
    )

exports.definitions(*DEFINED)
