"""Drill-down: a click on a bar lists the rows behind it; a row picked there opens its account.

Charts that drill are drawn with ``exports.show_chart(..., select_key=...)``; what the click
returns goes to ``rows_behind`` with the chart's table (one row per bar, in bar order) and a
function that fetches the rows behind one bar from the metrics module.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from ui import exports, filters
from ui.text import plain


def clicked_row(event, table: pd.DataFrame) -> pd.Series | None:
    """The row of ``table`` behind the bar clicked (None when nothing is selected)."""
    points = event.selection.points if event else []
    if not points or points[0].get("point_index") is None or points[0]["point_index"] >= len(table):
        return None
    return table.iloc[points[0]["point_index"]]


def rows_behind(
    event,
    table: pd.DataFrame,
    fetch: Callable[[pd.Series], pd.DataFrame],
    describe: Callable[[pd.Series], str],
    stamp: str,
    key: str,
    container=None,
) -> None:
    """Under a chart: the rows behind its clicked bar (``fetch(row)``), headed by ``describe(row)``;
    selecting one opens its account (the table's ``account_name``)."""
    row = clicked_row(event, table)
    if row is None:
        return
    place = container or st
    rows = fetch(row)
    name = describe(row)
    place.markdown(f"**{plain(name)}**: {len(rows):,} rows. Select one to open its account; "
                   "double-click the chart to close.")
    picked = exports.show_table(rows, name, stamp, place, on_select="rerun", selection_mode="single-row",
                                key=f"{key}-rows")
    if picked and picked.selection.rows:
        filters.open_account(rows.iloc[picked.selection.rows[0]]["account_name"])
