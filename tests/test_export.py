"""Downloaded CSV is safe to open in a spreadsheet and keeps every row and value."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from pipelines.reporting.spreadsheet import defuse, spreadsheet_safe_csv


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Acme Corp", "Acme Corp"),
        ("", ""),
        (-5, -5),
    ],
)
def test_defuse(value, expected):
    assert defuse(value) == expected


def test_csv_defuses_text_keeps_numbers_and_every_row():
    frame = pd.DataFrame({"name": ["=1+1", "Zoë"], "amount": [-5.5, 10.0], "=col": ["a", None]})
    rows = list(csv.reader(io.StringIO(spreadsheet_safe_csv(frame).decode("utf-8-sig"))))
    assert rows == [["name", "amount", "'=col"], ["'=1+1", "-5.5", "a"], ["Zoë", "10.0", ""]]


def test_csv_starts_with_a_bom_for_excel():
    assert spreadsheet_safe_csv(pd.DataFrame({"a": [1]})).startswith(b"\xef\xbb\xbf")


def test_an_export_of_amounts_says_their_currency_and_one_without_says_none():
    import json

    import pyarrow.parquet as pq

    from pipelines.reporting import files

    deals = pd.DataFrame({"sales_rep": ["Sam"], "won_amount": [150_000.0]})
    assert files.has_money(deals) and not files.has_money(pd.DataFrame({"sales_rep": ["Sam"], "n": [3]}))
    note = files.about_text("Won by rep", "All time", {}, 1, "EUR+USD, not converted").decode()
    assert "Amounts in: EUR+USD, not converted\n" in note
    stored = pq.read_table(io.BytesIO(files.parquet_bytes(deals, "Won by rep", "All time", {}, "USD")))
    assert json.loads(stored.schema.metadata[files.PARQUET_ABOUT_KEY])["Amounts in"] == "USD"
    assert "Amounts in" not in files.about_text("Reps", "All time", {}, 1).decode()


def test_an_empty_table_is_a_sentence_not_a_blank_grid():
    from streamlit.testing.v1 import AppTest

    from ui import exports

    def page():
        import pandas as pd

        from ui import exports

        exports.show_table(pd.DataFrame({"sales_rep": [], "won_amount": []}), "Reps", "All time")
        exports.show_table(pd.DataFrame({"sales_rep": ["Ann"], "won_amount": [5.0]}), "Reps", "All time")

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert [i.value for i in at.info] == [exports.EMPTY_TABLE] and len(at.dataframe) == 1
