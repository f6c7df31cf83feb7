"""Every chart and table a page shows goes through here, so each one can be taken out.

Pages call ``show_chart`` instead of ``st.plotly_chart`` (and ``show_table`` instead of
``st.dataframe``): one place decides what an export offers and how it is stamped with the
filters and data date in force (``stamp``, one line of text) and the metric definitions
behind it. Under each chart an "Export" menu offers PNG, SVG, HTML, CSV (+ its note), XLSX
and Parquet; every file is made only when its button is clicked (Streamlit's deferred
download: a callable ``data``), so a page costs no image rendering until someone asks.
The formats and their stamps are ``pipelines/reporting/files.py``'s; the board pack is
``pipelines/reporting/board_pack.py``'s.
"""

from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pipelines import metrics
from pipelines.reporting import board_pack, files, formats, tables
from pipelines.reporting.files import MIME, definitions_used
from pipelines.reporting.kpis import Kpi
from ui import auth, data
from ui.text import plain


def show_chart(
    figure: go.Figure,
    table: pd.DataFrame,
    name: str,
    stamp: str,
    container=None,
    *,
    definitions: Iterable[str] = (),
    select_key: str | None = None,
):
    """Draw ``figure``; under it, an Export menu: the chart as PNG, SVG or HTML, its ``table``
    as CSV, XLSX or Parquet. ``definitions`` names the metrics (keys of metrics.DEFINITIONS, or
    text) the exports explain; columns named after a metric bring its definition anyway.
    With ``select_key`` a click on a point reruns the page and the selection is returned (drill-down)."""
    place = container or st
    selection = {"on_select": "rerun", "selection_mode": "points", "key": select_key} if select_key else {}
    event = place.plotly_chart(figure, width="stretch", **selection)
    used = definitions_used(table, definitions)
    menu = place.popover("Export", icon=":material/download:", help=plain(f"{name} · {stamp}"))  # tooltips are markdown
    _offer(
        menu,
        name,
        stamp,
        {
            "png": ("Chart (PNG)", lambda: files.image_bytes(figure, stamp, "png")),
            "svg": ("Chart (SVG)", lambda: files.image_bytes(figure, stamp, "svg")),
            "html": ("Interactive chart (HTML)", lambda: files.html_bytes(figure, name, stamp, used)),
            **_table_files(table, name, stamp, used),
        },
    )
    return event if select_key else None


# What an empty table says instead of a blank grid, unless its page says better (``empty``).
EMPTY_TABLE = "Nothing to list for the period and filters chosen."
# A table whose rows can be selected draws a column of checkboxes before its first column: 36 px
# in chromium at 1440 px (measured), which its columns do not have.
ROW_MARKER_PX = 36


def show_table(table: pd.DataFrame, name: str, stamp: str, container=None, *, definitions: Iterable[str] = (),
               column_config: dict | None = None, hide: Iterable[str] = (), empty: str = EMPTY_TABLE,
               **dataframe_options):
    """Show ``table`` as people read it (``reporting.tables.readable``: words for column names,
    formatted cells, "—" for missing, intervals as one column, its key column pinned); under it,
    an Export menu with the raw figures: CSV (+ its note), XLSX or Parquet. ``column_config`` is
    keyed by the table's own column names; ``hide`` leaves columns out of the screen (the export
    keeps them), so a wide table fits; a table without rows is the sentence ``empty``. Returns what
    st.dataframe returns (the row selection, when ``on_select`` is given), None for an empty table."""
    place = container or st
    if table.empty:  # a grid of headers over nothing reads as a blank box: say so (``empty``) instead
        place.info(empty)
        return None
    shown = tables.readable(table.drop(columns=[c for c in hide if c in table.columns]))
    config = {label: st.column_config.NumberColumn(label, format="localized") for label in shown.counts}
    if shown.key is not None:
        config[shown.key] = st.column_config.Column(shown.key, pinned=True)
    room = tables.FIT_PX - (ROW_MARKER_PX if dataframe_options.get("selection_mode") else 0)
    for label, fit in tables.fit_columns(shown, room).items():  # no column off-screen on a 1440 px screen
        config[label] = {**config.get(label, {}), "label": fit.header, "width": fit.width,
                         **({"help": fit.full_header} if fit.header != fit.full_header else {})}
    for column, setting in (column_config or {}).items():  # the page's own, over the fitted width and header
        label = tables.label(column)
        config[label] = {**config.get(label, {}), **{k: v for k, v in setting.items() if v is not None}}
    drawn = place.dataframe(shown.frame, column_config=config, hide_index=True,
                            **{k: v for k, v in dataframe_options.items() if k != "hide_index"})
    if shown.has_missing:
        place.caption(tables.MISSING_NOTE)
    menu = place.popover("Export", icon=":material/download:", help=plain(f"{name} · {stamp}"))  # tooltips are markdown
    _offer(menu, name, stamp, _table_files(table, name, stamp, definitions_used(table, definitions)))
    return drawn


def _table_files(table: pd.DataFrame, name: str, stamp: str, used: dict[str, str]) -> dict:
    # Read now, where the page runs: a download is made outside the page's script.
    currency = formats.currency_unit() if files.has_money(table) else None
    return {
        "csv": ("Data (CSV)", lambda: files.csv_bytes(table)),
        "txt": (
            "About the CSV: filters, date, definitions (TXT)",
            lambda: files.about_text(name, stamp, used, len(table), currency),
        ),
        "xlsx": ("Data + About sheet (XLSX)", lambda: files.xlsx_bytes(table, name, stamp, used, currency)),
        "parquet": ("Data (Parquet)", lambda: files.parquet_bytes(table, name, stamp, used, currency)),
    }


def _offer(menu, name: str, stamp: str, offered: dict[str, tuple[str, Callable[[], bytes]]]) -> None:
    """One download button per format; ``on_click="ignore"``: downloading does not rerun the page.
    None for a role without downloads (a viewer): the files are never made."""
    if not auth.can("export"):
        menu.caption("Downloads are not part of your role (viewer).")
        return
    for extension, (label, make) in offered.items():
        menu.download_button(
            label,
            make,
            files.file_name(name, stamp, "about.txt" if extension == "txt" else extension),
            MIME[extension],
            key=f"{extension}-{files.slug(name) or 'export'}",  # one widget key per chart and format
            on_click="ignore",
            width="stretch",
        )


def board_pack_button(period, container=None) -> None:
    """One click: the board pack PDF (Overview KPIs and key charts) for ``period`` (a Period or
    the sidebar's metrics Filters), made on click
    from its own read-only connection (the download runs outside the page's script)."""
    if not auth.can("export"):
        return
    db, scoped = data.db_path(), data.scope()  # the click runs outside the script: read the scope now

    def make() -> bytes:
        with data.connect(db, scoped) as con:
            return board_pack.board_pack_pdf(con, period)

    name = board_pack.board_pack_name(period, data.query(metrics.data_date))
    (container or st).download_button(
        "Board pack (PDF)",
        make,
        name,
        MIME["pdf"],
        key="board-pack",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        help="The Overview's KPIs and key charts for this period, "
        "filters and data date on every page (takes a few seconds).",
    )


def definitions(*names: str) -> None:
    """The page's metric definitions, word for word from pipelines.metrics, in an expander."""
    with st.expander("Definitions"):
        for name in names:
            st.markdown(f"**{name}** — {metrics.DEFINITIONS[name]}")


def show_kpis(kpis: list[Kpi], now: dict, before: dict | None, changes: dict | None = None, per_row: int = 4) -> None:
    """Headline tiles from ``reporting.kpis`` (``per_row`` a row): value, change against the
    previous period (red when a lower-is-better figure rises) and what it means on hover. A
    change within the noise (``metrics.kpi_changes``: its 95% interval holds 0) is drawn grey
    and its tile says so."""
    changes = changes or {}
    for first in range(0, len(kpis), per_row):
        for place, kpi in zip(st.columns(per_row), kpis[first:first + per_row]):
            change = changes.get(kpi.definition) or {}
            noisy = bool(change.get("within_noise"))
            shown = kpi.delta(now, before)
            help_text = kpi.help(now)
            if noisy and shown:
                shown = f"{shown} (within noise)"
                scale = 100 if kpi.definition == "csat_pct" else 1
                help_text = (f"Within the noise: the change's 95% interval ({change['ci_low'] * scale:+.1f} to "
                             f"{change['ci_high'] * scale:+.1f}) holds 0. " + help_text)
            place.metric(kpi.label, kpi.value(now), shown, help=help_text,
                         delta_color="off" if noisy else "inverse" if kpi.lower_is_better else "normal")
