"""Chart and table exports: every format opens, carries its stamp, and runs no formula.

The images are drawn by kaleido's headless chromium, started once for the module (~3 s)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pandas as pd
import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from pipelines.reporting import charts
from pipelines.reporting import files as export_files
from pipelines.reporting.files import (
    IMAGE_WIDTH,
    PARQUET_ABOUT_KEY,
    PNG_SCALE,
    about_text,
    csv_bytes,
    definitions_used,
    file_name,
    html_bytes,
    image_bytes,
    parquet_bytes,
    xlsx_bytes,
)
from pipelines.metrics import DEFINITIONS
from tests.conftest import run_app

STAMP = "01 Nov 2025 – 31 Oct 2026 · data up to 31 Oct 2026"
# The account names of the bad input corpus's tests/bad_inputs/formula_cells.csv, then a tab
# and a carriage return start: each would run (or reshape the row) as typed in a spreadsheet.
FORMULA_NAMES = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "-2+3",
    "\tTabbed",
    "\rReturned",
]
# A table as an account list could export: formula-looking names, plain names, numbers, a gap.
ACCOUNTS = pd.DataFrame(
    {
        "account": FORMULA_NAMES + ["Acme Corp", "Zoë & Co"],
        "won_amount": [1200.5, -300.0, 0.0, 7.0, 1.0, 2.0, 15000.0, None],
        "deals": [1, 2, 3, 4, 5, 6, 7, 8],
    }
)


@pytest.fixture(scope="module")
def link_figure():
    """The Overview's satisfaction -> re-business bars, on figures of the demo's size."""
    link = pd.DataFrame(
        {
            "category": ["promoter", "passive", "detractor"],
            "n": [520, 531, 338],
            "rate": [0.88, 0.64, 0.36],
            "ci_low": [0.85, 0.60, 0.31],
            "ci_high": [0.91, 0.68, 0.41],
        }
    )
    return charts.rate_bars(
        link, "category", "Re-business within 12 months of an NPS answer", "answers", charts.NPS_COLOURS
    )


@pytest.fixture(scope="module")
def xlsx():
    return xlsx_bytes(ACCOUNTS, "Accounts", STAMP, definitions_used(ACCOUNTS))


def test_file_names_say_what_and_when():
    assert file_name("Monthly NPS", STAMP, "png") == "monthly-nps_01-nov-2025-31-oct-2026-data-up-to-31-oct-2026.png"


def test_definitions_are_those_named_plus_those_of_metric_columns():
    used = definitions_used(pd.DataFrame(columns=["month", "won_amount"]), ["nps", "n = answers in the month"])
    assert used == {
        "nps": DEFINITIONS["nps"],
        "n = answers in the month": "n = answers in the month",
        "won_amount": DEFINITIONS["won_amount"],
    }


def test_an_export_lists_only_the_definitions_of_the_metrics_it_shows():
    assert definitions_used(pd.DataFrame(columns=["category", "rate"])) == {}
    assert list(definitions_used(pd.DataFrame(columns=["month", "nps"]), ["nps_rebusiness_link"])) == [
        "nps_rebusiness_link", "nps"]


def read_csv_rows(table: pd.DataFrame) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8-sig"), newline="")))


def test_csv_starts_with_its_header_and_defuses_every_formula_looking_name():
    rows = read_csv_rows(ACCOUNTS[~ACCOUNTS["account"].str.startswith("\r")])
    assert rows[0] == ["account", "won_amount", "deals"]
    assert [row[0] for row in rows[1:6]] == ["'" + name for name in FORMULA_NAMES if not name.startswith("\r")]
    assert rows[6] == ["Acme Corp", "15000.0", "7"]


def test_csv_keeps_a_name_starting_with_a_carriage_return_in_its_row():
    rows = read_csv_rows(ACCOUNTS[ACCOUNTS["account"] == "\rReturned"])
    assert rows[1] == ["'\rReturned", "2.0", "6"]


def test_the_csv_note_carries_the_filters_the_data_date_and_the_definitions():
    note = about_text("Accounts", STAMP, definitions_used(ACCOUNTS), len(ACCOUNTS)).decode()
    assert "Filters and data date: 01 Nov 2025 – 31 Oct 2026 · data up to 31 Oct 2026\n" in note
    assert f"Definition: won_amount: {DEFINITIONS['won_amount']}\n" in note
    assert "Rows: 8\n" in note


def test_xlsx_data_sheet_holds_the_exact_values_from_a1(xlsx):
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx))
    assert book.sheet_names == ["Data", "About"]
    rows = book.get_sheet_by_name("Data").to_python()
    assert rows[0] == ["account", "won_amount", "deals"]
    assert [row[0] for row in rows[1:]] == FORMULA_NAMES + ["Acme Corp", "Zoë & Co"]
    assert rows[1][1:] == [1200.5, 1] and rows[8][1] == ""  # numbers stay numbers; a gap stays empty


def test_xlsx_has_no_formula_and_quote_prefixes_every_formula_looking_name(xlsx):
    with zipfile.ZipFile(io.BytesIO(xlsx)) as parts:
        sheet = parts.read("xl/worksheets/sheet1.xml").decode()
        styles = parts.read("xl/styles.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no cell holds a formula
    cell_formats = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    quoted = {
        i
        for i, xf in enumerate(re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", cell_formats, re.S))
        if 'quotePrefix="1"' in xf
    }
    style_of = dict(re.findall(r'<c r="(A\d+)"(?: s="(\d+)")?', sheet))
    assert [int(style_of[f"A{row}"] or 0) in quoted for row in range(2, 10)] == [True] * 6 + [False] * 2


def test_xlsx_opens_on_an_about_sheet_with_filters_date_and_definitions(xlsx):
    about = dict(
        row[:2] for row in CalamineWorkbook.from_filelike(io.BytesIO(xlsx)).get_sheet_by_name("About").to_python()
    )
    assert about["Filters and data date"] == STAMP
    assert about["Definition: won_amount"] == DEFINITIONS["won_amount"]
    with zipfile.ZipFile(io.BytesIO(xlsx)) as parts:
        assert 'activeTab="1"' in parts.read("xl/workbook.xml").decode()


def test_parquet_keeps_exact_values_and_the_about_text():
    stored = pq.read_table(io.BytesIO(parquet_bytes(ACCOUNTS, "Accounts", STAMP, definitions_used(ACCOUNTS))))
    pd.testing.assert_frame_equal(stored.to_pandas(), ACCOUNTS, check_dtype=False)
    assert json.loads(stored.schema.metadata[PARQUET_ABOUT_KEY])["Filters and data date"] == STAMP


def test_svg_draws_the_stamp_as_a_caption_line(link_figure):
    svg = image_bytes(link_figure, STAMP, "svg").decode()
    assert STAMP.replace("·", "&#183;") in svg or STAMP in svg
    assert "Re-business within 12 months of an NPS answer" in svg


def test_png_is_drawn_at_slide_width(link_figure):
    png = image_bytes(link_figure, STAMP, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    # 1,100 px at scale 2; the chart's 380 px plus the caption's 26, at scale 2.
    assert (width, height) == (IMAGE_WIDTH * PNG_SCALE, (380 + export_files.CAPTION_PX) * PNG_SCALE)


def test_html_is_standalone_with_its_stamp_and_definitions(link_figure):
    page = html_bytes(link_figure, "Re-business", STAMP, {"nps": DEFINITIONS["nps"]}).decode()
    assert "<script src=" not in page  # plotly.js is inlined: it opens offline
    assert STAMP in page and DEFINITIONS["nps"] in page


def test_every_overview_chart_offers_png_svg_html_csv_xlsx_and_parquet(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    assert not at.exception
    labels = [button.proto.label for button in at.get("download_button")]
    for kind in (
        "Chart (PNG)",
        "Chart (SVG)",
        "Interactive chart (HTML)",
        "Data (CSV)",
        "Data + About sheet (XLSX)",
        "Data (Parquet)",
    ):
        assert labels.count(kind) == len(at.get("plotly_chart")), kind
