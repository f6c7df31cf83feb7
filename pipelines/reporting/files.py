"""The files a chart or table is taken out as: PNG, SVG, HTML, CSV, XLSX and Parquet, each stamped.

Every file says where its figures come from: the filters in force and the data date (the
``stamp`` line the page shows), the metric definitions behind the numbers, and what it is and
when in its file name. How each format carries that:

- PNG / SVG / HTML: the stamp as a caption line under the chart's title, drawn into the image
  (a slide keeps it); the HTML page also lists the definitions below the chart.
- XLSX: a "Data" sheet (a plain table from A1, so pandas and BI tools read it as it is) and an
  "About" sheet with the stamp, export time and definitions; the workbook opens on "About".
- CSV: pure data, header on line 1. Excel, LibreOffice and Sheets show ``#`` comment lines as
  data rows (no spreadsheet ignores them), so the stamp goes in a companion note
  (``…about.txt``, the same text as the About sheet) and in the file name.
- Parquet: the About text in the file's key-value metadata (``winwin.about``).

Text cells a spreadsheet would run as a formula are neutralised: CSV through
``reporting.spreadsheet.spreadsheet_safe_csv`` (an apostrophe); XLSX cells are written as typed
strings, never formulas, with Excel's own "quote prefix" cell style (what Excel stores when
you type ``'=1``), so the value stays the exact text and editing the cell does not run it.

Images are drawn by kaleido in one headless chromium kept warm for the process (the first
image takes ~3 s to start it, later ones ~0.2 s); nothing is drawn until a user asks.
"""

from __future__ import annotations

import io
import numbers
import json
import re
import threading
from datetime import datetime, timezone
from html import escape
from typing import Iterable

import pandas as pd
import plotly.graph_objects as go

from pipelines.reporting.spreadsheet import FORMULA_STARTS, spreadsheet_safe_csv
from pipelines.reporting.tables import MONEY
from pipelines.metrics import DEFINITIONS

# Exported charts are drawn this wide whatever the screen column was: a slide's content area
# (13.33 in at 96 dpi is 1280 px, less margins) and still legible when scaled into half a slide.
IMAGE_WIDTH = 1100
# PNG pixels per CSS pixel: 2 keeps text crisp on a projector and on high-DPI screens.
PNG_SCALE = 2
# Room added above the plot for the caption line (one line of 12 px text and its padding).
CAPTION_PX = 26
# File names keep this many characters of the stamp: dates and filters, short enough for
# Windows' 260-character paths once a download folder is added.
STAMP_CHARS_IN_NAME = 90
# Streamlit draws plotly charts on white with grey grid lines; plotly's closest template.
EXPORT_TEMPLATE = "plotly_white"
# Parquet metadata key holding the About text (JSON).
PARQUET_ABOUT_KEY = b"winwin.about"

MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "html": "text/html",
    "csv": "text/csv",
    "txt": "text/plain",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "pdf": "application/pdf",
}


def slug(text: str) -> str:
    """Text as a file-name part: "Re-business within 12 months" -> "re-business-within-12-months"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def file_name(name: str, stamp: str, extension: str) -> str:
    """What and when: the chart's name, then the filters and data date of the stamp.

    "Monthly NPS", "01 Dec 2025 – 30 Nov 2026 · data up to 30 Nov 2026" ->
    "monthly-nps_01-dec-2025-30-nov-2026-data-up-to-30-nov-2026.png".
    """
    when = slug(stamp)[:STAMP_CHARS_IN_NAME].strip("-")
    return "_".join(part for part in (slug(name) or "export", when) if part) + f".{extension}"


def definitions_used(table: pd.DataFrame | None, definitions: Iterable[str] = ()) -> dict[str, str]:
    """The metric definitions behind an export: those named, plus those of its metric columns.

    A name that is a key of ``metrics.DEFINITIONS`` brings its text; any other text is kept
    as it is (a page may explain a figure the metrics module does not name). When nothing
    names a metric, every definition is given: better too much than an unexplained number.
    """
    used = {}
    for item in definitions:
        used[item] = DEFINITIONS.get(item, item)
    for column in [] if table is None else table.columns:
        if column in DEFINITIONS:
            used.setdefault(column, DEFINITIONS[column])
    return used


def has_money(table: pd.DataFrame | None) -> bool:
    """Does the table hold amounts (then its export says their currency)."""
    return table is not None and any(str(column) in MONEY for column in table.columns)


def about(name: str, stamp: str, definitions: dict[str, str], rows: int | None = None,
          currency: str | None = None) -> list[tuple[str, str]]:
    """The label every export carries, as (field, value) pairs: the About sheet's rows. ``currency``
    (``formats.currency_unit``, read where the page runs): what the table's amounts are in."""
    lines = [
        ("Export", name),
        ("Filters and data date", stamp),
        ("Exported at", f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"),
    ]
    if rows is not None:
        lines.append(("Rows", f"{rows:,}"))
    if currency:
        lines.append(("Amounts in", currency))
    lines.append(("Source", "Win-Win; every metric is defined in pipelines/metrics.py"))
    lines += [(f"Definition: {key}", text) for key, text in definitions.items()]
    return lines


def about_text(name: str, stamp: str, definitions: dict[str, str], rows: int | None = None,
               currency: str | None = None) -> bytes:
    """The companion note of a CSV: the About sheet as plain text."""
    lines = about(name, stamp, definitions, rows, currency)
    return "".join(f"{field}: {value}\n" for field, value in lines).encode("utf-8")


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as spreadsheet-safe CSV (reporting.spreadsheet), header on line 1."""
    return spreadsheet_safe_csv(table)


def xlsx_bytes(table: pd.DataFrame, name: str, stamp: str, definitions: dict[str, str],
               currency: str | None = None) -> bytes:
    """A workbook: "Data" (the table from A1, formula-looking text quote-prefixed) and "About"."""
    import xlsxwriter

    out = io.BytesIO()
    # Text is text: no cell becomes a formula or a hyperlink because of what it starts with.
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False,
                                     "nan_inf_to_errors": True})
    header = book.add_format({"bold": True, "bottom": 1})
    header_quoted = book.add_format({"bold": True, "bottom": 1, "quote_prefix": True})
    quoted = book.add_format({"quote_prefix": True})
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})

    data = book.add_worksheet("Data")
    data.freeze_panes(1, 0)
    data.set_header("&L" + _header_footer_text(stamp))  # a printed sheet carries the stamp too
    for col, column in enumerate(table.columns):
        label = str(column)
        data.write_string(0, col, label, header_quoted if _is_formula_like(label) else header)
        data.set_column(col, col, min(max(len(label), 10) + 2, 50))
        for row, value in enumerate(table[column].tolist(), start=1):
            _write_cell(data, row, col, value, quoted, dated)

    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 100, wrapped)
    for row, (field, value) in enumerate(about(name, stamp, definitions, len(table), currency)):
        sheet.write_string(row, 0, field, header if row == 0 else None)
        sheet.write_string(row, 1, value, quoted if _is_formula_like(value) else wrapped)
    sheet.activate()  # opens on the label; "Data" stays the first sheet for tools reading sheet 0
    book.close()
    return out.getvalue()


def _is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def _header_footer_text(text: str) -> str:
    return text.replace("&", "&&")  # "&" starts an Excel header/footer code


def _write_cell(sheet, row: int, col: int, value, quoted, dated) -> None:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return  # an empty cell, not the text "nan"
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, numbers.Number):
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), dated)
    elif hasattr(value, "isoformat") and hasattr(value, "year"):  # a date
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), dated)
    else:
        text = str(value)
        sheet.write_string(row, col, text, quoted if _is_formula_like(text) else None)


def parquet_bytes(table: pd.DataFrame, name: str, stamp: str, definitions: dict[str, str],
                  currency: str | None = None) -> bytes:
    """The table as Parquet, exact values and types, the About text in its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    label = json.dumps(dict(about(name, stamp, definitions, len(table), currency)), ensure_ascii=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), PARQUET_ABOUT_KEY: label.encode()})
    out = io.BytesIO()
    pq.write_table(arrow, out)
    return out.getvalue()


def stamped_figure(figure: go.Figure, stamp: str) -> go.Figure:
    """A copy of ``figure`` with the stamp as a caption line under its title, drawn at export size."""
    stamped = go.Figure(figure)
    layout = stamped.layout
    subtitle = layout.title.subtitle.text
    caption = escape(stamp) if not subtitle else f"{subtitle}<br>{escape(stamp)}"
    top = (layout.margin.t if layout.margin.t is not None else 80) + CAPTION_PX
    stamped.update_layout(
        title_subtitle=dict(text=caption, font=dict(size=12, color="#555555")),
        margin_t=top, height=(layout.height or 450) + CAPTION_PX, width=IMAGE_WIDTH,
        template=EXPORT_TEMPLATE,
    )
    if not layout.title.text:
        stamped.update_layout(title_text=" ")  # a subtitle needs a title to hang from
    return stamped


_images = threading.Lock()


def image_bytes(figure: go.Figure, stamp: str, image_format: str) -> bytes:
    """The stamped chart as PNG, SVG or PDF, drawn by the process's one warm kaleido browser.

    The lock serialises callers: kaleido's sync server is one queue in and one out, so two
    sessions asking at once could otherwise receive each other's image.
    """
    import kaleido

    stamped = stamped_figure(figure, stamp)
    opts = dict(format=image_format, width=stamped.layout.width, height=stamped.layout.height,
                scale=PNG_SCALE if image_format == "png" else 1)
    with _images:
        # mathjax=False: kaleido would otherwise point its page at a MathJax CDN (no network here).
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        return kaleido.calc_fig_sync(stamped, opts=opts)


def html_bytes(figure: go.Figure, name: str, stamp: str, definitions: dict[str, str]) -> bytes:
    """A standalone page: the stamped, interactive chart (plotly.js inlined: opens offline) and
    the definitions below it."""
    chart = stamped_figure(figure, stamp).to_html(full_html=False, include_plotlyjs=True)
    notes = "".join(f"<li><b>{escape(key)}</b>: {escape(text)}</li>" for key, text in definitions.items())
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(name)} · {escape(stamp)}</title></head>"
        f"<body style='font-family:sans-serif'>{chart}<p>{escape(stamp)}</p><ul>{notes}</ul></body></html>"
    ).encode("utf-8")
