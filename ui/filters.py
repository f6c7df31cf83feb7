"""Sidebar filters bound to the URL's query parameters, so a copied link reproduces the view."""

from __future__ import annotations

from datetime import date

import streamlit as st

from pipelines.metrics import Period, period_ending

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


def describe(period: Period) -> str:
    if period.start is None:
        return "all time"
    return f"{period.start:%d %b %Y} – {period.end:%d %b %Y}"
