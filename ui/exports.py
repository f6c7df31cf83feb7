"""Every chart and table a page shows goes through here, so each one can be taken out.

Pages call ``show_chart`` instead of ``st.plotly_chart`` (and ``show_table`` instead of
``st.dataframe``): one place decides what an export offers and how it is stamped with the
filters and data date in force (``stamp``, one line of text).
"""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pipelines.export import spreadsheet_safe_csv


def file_stem(name: str) -> str:
    """A chart's title as a file name: "Re-business within 12 months" -> "re-business-within-12-months"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "export"


def show_chart(figure: go.Figure, table: pd.DataFrame, name: str, stamp: str, container=None) -> None:
    """Draw ``figure``; below it, download its underlying ``table`` as spreadsheet-safe CSV."""
    place = container or st
    place.plotly_chart(figure, width="stretch")
    place.download_button(
        "Download the data (CSV)", spreadsheet_safe_csv(table), f"{file_stem(name)}.csv", "text/csv",
        key=f"csv-{file_stem(name)}", help=stamp,
    )


def show_table(table: pd.DataFrame, name: str, stamp: str, container=None, **dataframe_options) -> None:
    """Show ``table``; below it, download it as spreadsheet-safe CSV."""
    place = container or st
    place.dataframe(table, **dataframe_options)
    place.download_button(
        "Download (CSV)", spreadsheet_safe_csv(table), f"{file_stem(name)}.csv", "text/csv",
        key=f"csv-{file_stem(name)}", help=stamp,
    )
