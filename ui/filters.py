"""Sidebar filters bound to the URL's query parameters, so a copied link reproduces the view.

Every widget here is bound (``bind="query-params"``): its value lives in the URL, so a shared
link restores it. app.py draws them once for every page (``shared_sidebar``); pages read
``current()``.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from pipelines import metrics
from pipelines.metrics import Filters, Period, period_ending
from ui import data

# Preset -> whole months back from the data date (None: special case below). The labels are
# the URL values too (?period=All+time): a bound selectbox stores its displayed text.
PERIODS = {
    "Last 12 months": 12,
    "Last 6 months": 6,
    "Last 3 months": 3,
    "Year to date": None,
    "All time": None,
    "Custom range": None,
}
# The dimension filters: Filters field -> (sidebar label, URL key).
DIMENSIONS = {
    "segments": ("Segment", "segment"),
    "regions": ("Region", "region"),
    "teams": ("Delivery team", "team"),
    "reps": ("Sales rep", "rep"),
    "owners": ("Account owner", "owner"),
}


def period_filter(data_date: date) -> Period:
    """The period chosen in the sidebar; presets end with the data date's month, not today."""
    choice = st.sidebar.selectbox(
        "Period", list(PERIODS), key="period", bind="query-params",
        help="Presets count whole months back from the latest data, not from today.",
    )
    if choice == "Custom range":
        default = period_ending(data_date, 12)
        start = st.sidebar.date_input("From", default.start, key="from", bind="query-params")
        end = st.sidebar.date_input("To", default.end, key="to", bind="query-params")
        return Period(start, end)
    if choice == "All time":
        return Period()
    if choice == "Year to date":
        return Period(date(data_date.year, 1, 1), period_ending(data_date, 1).end)
    return period_ending(data_date, PERIODS[choice])


def sidebar_filters(data_date: date) -> Filters:
    """The period and the dimension filters (segment, region, delivery team, sales rep,
    account owner) chosen in the sidebar; an empty choice keeps everything."""
    period = period_filter(data_date)
    options = data.query(metrics.filter_options)
    chosen = {
        field: tuple(st.sidebar.multiselect(label, options[field], key=key, bind="query-params", placeholder="all"))
        for field, (label, key) in DIMENSIONS.items()
    }
    return Filters(period=period, **chosen)


# Where app.py leaves the filters for the page it runs.
_CHOSEN = "winwin_filters"


def shared_sidebar() -> None:
    """Draw the filters from app.py, before the page runs.

    Widgets made in the entry script are shared by every page: they keep their values and
    their URL parameters on a page switch. A widget made inside a page's script belongs to
    that page, and Streamlit drops its URL parameter when the user opens another page.
    """
    if data.has_data():
        st.session_state[_CHOSEN] = sidebar_filters(data.query(metrics.data_date))


def current() -> Filters:
    """The filters app.py drew for this run (pages call this after ``data.require_data``).

    A page run without app.py (AppTest's ``switch_page`` runs the page script alone) draws
    them itself, so it still has its filters.
    """
    chosen = st.session_state.pop(_CHOSEN, None)
    return chosen if chosen is not None else sidebar_filters(data.query(metrics.data_date))


def page_filters() -> tuple[Filters, date]:
    """What every analysis page starts from: stop with how to load when the warehouse is empty,
    else the sidebar's filters and the data date."""
    data.require_data()
    return current(), data.query(metrics.data_date)


def in_force(chosen: Filters, previous: Filters | None) -> str:
    """The caption under a page's KPIs: the filters, and the period the deltas compare with."""
    return f"Filters: {describe(chosen)}" + (f" · deltas against {describe(previous.period)}" if previous else "")


def describe(period: Period | Filters) -> str:
    """The period, and any dimension filters, as one line (captions and export stamps)."""
    if isinstance(period, Filters):
        chosen = [f"{DIMENSIONS[field][0].lower()}: {', '.join(getattr(period, field))}"
                  for field in DIMENSIONS if getattr(period, field)]
        return "; ".join([describe(period.period)] + chosen)
    if period.start is None:
        return "all time"
    return f"{period.start:%d %b %Y} – {period.end:%d %b %Y}"


def stamp(filters: Filters, data_date: date) -> str:
    """What an export is stamped with: the filters in force and the data date."""
    return f"{describe(filters)} · data up to {data_date:%d %b %Y}"


def open_account(name: str) -> None:
    """Drill down: the Accounts page on ``name``. The sidebar's widgets write their own URL
    parameters back (Streamlit refuses to set a widget-bound one), so only the account is passed."""
    st.switch_page("pages/accounts.py", query_params={"account": name})
