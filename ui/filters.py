"""Sidebar filters bound to the URL's query parameters, so a copied link reproduces the view."""

from __future__ import annotations

from datetime import date

import streamlit as st

from pipelines.metrics import Period, period_ending

PERIODS = {
    "last_12m": "Last 12 months",
    "last_6m": "Last 6 months",
    "last_3m": "Last 3 months",
    "ytd": "Year to date",
    "all": "All time",
    "custom": "Custom range",
}


def period_filter(data_date: date) -> Period:
    """The period chosen in the sidebar; presets end with the data date's month, not today."""
    choice = st.sidebar.selectbox(
        "Period", list(PERIODS), format_func=PERIODS.get, key="period", bind="query-params",
        help="Presets count whole months back from the latest data, not from today.",
    )
    if choice == "custom":
        default = period_ending(data_date, 12)
        start = st.sidebar.date_input("From", default.start, key="from", bind="query-params")
        end = st.sidebar.date_input("To", default.end, key="to", bind="query-params")
        return Period(start, end)
    if choice == "all":
        return Period()
    if choice == "ytd":
        return Period(date(data_date.year, 1, 1), period_ending(data_date, 1).end)
    return period_ending(data_date, int(choice.removeprefix("last_").removesuffix("m")))


def describe(period: Period) -> str:
    if period.start is None:
        return "all time"
    return f"{period.start:%d %b %Y} – {period.end:%d %b %Y}"
