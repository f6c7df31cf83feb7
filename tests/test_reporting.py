"""Outputs read at a glance (issue 15): tables in words, one number style, charts whose labels
never turn or cross a whisker, text from exports that stays text."""

from __future__ import annotations

import contextlib
import importlib
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from pipelines import metrics
from pipelines.ingest import ingest
from pipelines.reporting import charts, formats, tables
from pipelines.reporting.formats import MISSING

CURRENCIES = Path(__file__).parent / "fixtures" / "currencies"


@contextlib.contextmanager
def amounts_in(*codes):
    """Show money as if the warehouse's amounts were in ``codes`` (None: not given), then forget it."""
    token = formats._WAREHOUSE_CURRENCIES.set(tuple(codes))
    try:
        yield
    finally:
        formats._WAREHOUSE_CURRENCIES.reset(token)


@pytest.fixture(scope="module")
def currencies_db(tmp_path_factory):
    """tests/fixtures/currencies: USD and EUR deals and projects (figures in its README)."""
    db = tmp_path_factory.mktemp("currencies") / "warehouse.duckdb"
    ingest([CURRENCIES], db=db)
    return db


def test_each_amount_keeps_the_currency_its_export_names(currencies_db, reader):
    con = reader(currencies_db)
    deals = con.execute("SELECT opportunity_id[-6:-4], currency FROM fct_opportunity ORDER BY 1").fetchall()
    # OPP002's currency cell is empty: its amount "USD 50,000.00" names it; OPP003's "eur" is read as EUR
    assert deals == [("001", "USD"), ("002", "USD"), ("003", "EUR"), ("004", "EUR")]
    own = dict(con.execute("SELECT project_id, currency FROM fct_project").fetchall())
    assert own == {"P-000001": None, "P-000003": "EUR"}  # "$80,000.00" names no currency; "€" does
    shown = dict(con.execute("SELECT project_id, currency FROM mart_project").fetchall())
    assert shown == {"P-000001": "USD", "P-000003": "EUR"}  # the "$" project takes its deal's USD
    assert metrics.currencies(con) == ("EUR", "USD")


def test_a_sum_over_two_currencies_carries_both_codes_and_a_note(currencies_db, reader):
    con = reader(currencies_db)
    won = metrics.kpis(con)["won_amount"]
    assert won == 190_000  # USD 100,000 + 50,000 and EUR 40,000, added unconverted (the lost EUR 10,000 is not won)
    with amounts_in(*metrics.currencies(con)):
        assert formats.money(won) == "EUR+USD 190.0k"
        assert formats.currency_unit() == "EUR+USD, not converted"
        assert "(EUR, USD)" in formats.currency_note() and "not converted" in formats.currency_note()
        shown = tables.readable(pd.DataFrame({"sales_rep": ["Sam Seller"], "won_amount": [150_000.0]}))
        assert list(shown.frame.columns) == ["Sales rep", "Won amount (EUR+USD, not converted)"]


@pytest.mark.parametrize("codes, setting, figure, unit, noted", [
    (("USD",), "", "USD 1.5M", "USD", False),
    ((None,), "GBP", "GBP 1.5M", "GBP", False),  # the setting names amounts whose export named none
    (("EUR", None), "EUR", "EUR 1.5M", "EUR", False),  # ... and agrees with the exports': one currency
    (("EUR", None), "", "EUR+? 1.5M", "EUR+?, not converted", True),  # known and unknown: mixed
    ((None,), "", "1.5M", "currency unknown", True),
])
def test_money_names_the_exports_currency_else_the_setting_else_says_unknown(
        monkeypatch, codes, setting, figure, unit, noted):
    monkeypatch.setattr(formats, "CURRENCY", setting)
    with amounts_in(*codes):
        assert (formats.money(1_500_000), formats.currency_unit()) == (figure, unit)
        assert (formats.currency_note() is not None) == noted


def test_a_table_is_shown_with_words_formatted_cells_and_one_interval_column():
    raw = pd.DataFrame({
        "sales_rep": ["Ann Adams", "Ben Rossi"],
        "n": [171, 12],
        "budget_variance": [0.0242, None],
        "variance_ci_low": [0.0117, None],
        "variance_ci_high": [0.0367, None],
        "won_amount": [1_471_000.0, 950.0],
        "median_hours_to_resolve": [64.5667, 3.0],
        "close_date": pd.to_datetime(["2024-11-01", None]),
    })
    shown = tables.readable(raw)
    assert list(shown.frame.columns) == ["Sales rep", "n", "Budget variance", "Budget variance: 95% interval",
                                         "Won amount (currency unknown)", "Median hours to resolve", "Close date"]
    assert shown.frame.iloc[0].tolist() == ["Ann Adams", 171, "+2.4%", "+1.2%–+3.7%", "1.5M", "64.6", "01 Nov 2024"]
    assert shown.frame.iloc[1].tolist()[2:] == [MISSING, MISSING, "950", "3.0", MISSING]
    assert shown.key == "Sales rep" and shown.counts == ["n"] and shown.has_missing


@pytest.mark.parametrize("column, label", [("still_open", "Still open"), ("slip_ci_low", "Slip ci low"),
                                           ("days_open", "Days open"), ("answers_12m", "NPS answers (12 months)"),
                                           ("nps_3m", "NPS 3 months"), ("csat_after", "CSAT after")])
def test_every_column_name_is_shown_in_words(column, label):
    assert tables.label(column) == label and "_" not in tables.label(column)


def test_the_account_key_is_left_out_when_the_table_names_the_account():
    shown = tables.readable(pd.DataFrame({"account_name": ["Acme"], "account_id": ["001"], "score": [9]}))
    assert list(shown.frame.columns) == ["Account", "Score"]


def test_money_is_short_and_carries_the_currency_setting(monkeypatch):
    assert formats.money(68_912_000) == "68.9M" and formats.money(None) == MISSING
    assert formats.currency_unit() == "currency unknown"
    monkeypatch.setenv("WINWIN_CURRENCY", "eur<script>")
    with_currency = importlib.reload(formats)
    try:
        assert with_currency.money(412_300) == "EUR 412.3k"  # only the letters of the code are kept
        assert with_currency.money_delta(2_000_000, 500_000) == "+1.5M"
        assert with_currency.currency_unit() == "EUR"
    finally:
        monkeypatch.delenv("WINWIN_CURRENCY")
        importlib.reload(formats)


def test_missing_figures_are_shown_as_missing_never_as_zero():
    assert formats.pct(None) == formats.number(math.nan) == formats.pct(float("nan")) == MISSING
    assert formats.delta(None, 3) is None


REPS = pd.DataFrame({"rep": [f"Rep number {i}" for i in range(8)], "variance": [0.1 * i - 0.3 for i in range(8)],
                     "low": [0.1 * i - 0.4 for i in range(8)], "high": [0.1 * i - 0.2 for i in range(8)],
                     "n": [40] * 8})


def test_long_categories_are_drawn_as_horizontal_bars_with_level_tick_labels():
    figure = charts.interval_bars(REPS, "rep", "variance", "Variance", "actual / budget − 1", low="low", high="high",
                                  text_format="{:+.1%}", y_range=None)
    assert figure.data[0].orientation == "h"
    assert figure.layout.xaxis.tickangle == 0 and figure.layout.yaxis.tickangle == 0
    short = charts.nps_link_bars(pd.DataFrame({"category": ["promoter", "detractor"], "rate": [0.8, 0.3],
                                               "ci_low": [0.7, 0.2], "ci_high": [0.9, 0.4], "n": [50, 40]}))
    assert short.data[0].orientation is None and short.layout.xaxis.tickangle == 0


def test_each_value_label_sits_beyond_its_whisker_never_on_it():
    figure = charts.interval_bars(REPS, "rep", "variance", "Variance", "v", low="low", high="high",
                                  text_format="{:+.1%}", y_range=None)
    labels = figure.data[1]
    for value, low, high, at in zip(REPS["variance"], REPS["low"], REPS["high"], labels.x):
        assert (at > high) if value >= 0 else (at < low)
    assert labels.text[0] == "-30.0%" and labels.textposition[0] == "middle left"


def test_a_rate_axis_starts_at_zero():
    figure = charts.nps_link_bars(pd.DataFrame({"category": ["promoter"], "rate": [0.8], "ci_low": [0.7],
                                                "ci_high": [0.9], "n": [50]}))
    assert figure.layout.yaxis.range[0] == 0 and figure.layout.yaxis.tick0 == 0


@pytest.mark.parametrize("intercept, slope, expected", [
    (1.0, 2.0, (0, 10)),          # above 0 everywhere: the whole range of scores answered
    (-40.0, 10.0, (4.0, 10)),     # below 0 under a score of 4: drawn from 4 on
    (-40.0, -1.0, None),          # below 0 everywhere: not drawn
])
def test_a_fitted_line_is_drawn_only_where_it_means_something(intercept, slope, expected):
    assert charts.fitted_range(0, 10, intercept, slope, floor=0.0) == expected


def test_a_name_from_an_export_is_text_in_a_chart_not_markup():
    frame = pd.DataFrame({"team": ['<a href="http://evil.example">x</a>'], "rate": [0.5], "ci_low": [0.4],
                          "ci_high": [0.6], "n": [40]})
    figure = charts.interval_bars(frame, "team", "rate", "t", "y")
    drawn = figure.data[0].y[0]  # a long name: the bars lie on their side, the names on the y axis
    assert "<a" not in drawn and drawn.startswith("&lt;a href")


@pytest.mark.parametrize("name", ["[Pay here](http://evil.example)", "![x](http://tracker.example/p.png)",
                                  "**Bold** _it_ <b>x</b>", "www.evil.example", "Zoë & Co: 1. 2.", "a\\b"])
def test_markdown_of_a_name_escapes_every_mark_so_nothing_in_it_is_live(name):
    """CommonMark shows a backslash-escaped ASCII punctuation mark as that character, never as
    markup; so with every mark escaped, the name reads as typed and no link, image or emphasis
    can start in it."""
    from ui.text import plain

    escaped = plain(name)
    assert re.sub(r"\\(.)", r"\1", escaped) == name
    assert not re.search(r"(?<!\\)[\[\]()!*_<>:.`]", re.sub(r"\\.", "", escaped))


@pytest.mark.parametrize("scale, step", [((0, 5), 1), ((1, 5), 1), ((0, 10), 2), ((-100, 100), 50), ((0, 1), 0.2)])
def test_a_scale_is_ticked_on_round_values_never_in_quarters_of_it(scale, step):
    assert charts.tick_step(*scale) == pytest.approx(step)


def test_a_mean_csat_score_axis_ticks_whole_scores_from_0():
    scores = pd.DataFrame({"group": ["late", "on time"], "mean": [3.4, 4.2], "ci_low": [3.1, 4.0],
                           "ci_high": [3.7, 4.4], "n": [40, 60]})
    figure = charts.interval_bars(scores, "group", "mean", "Mean CSAT score", "mean score (1-5)",
                                  tickformat=".1f", text_format="{:.1f}", y_range=(0, 5))
    axis = figure.layout.yaxis
    assert (axis.tick0, axis.dtick, axis.range[0]) == (0, 1, 0)  # ticks 0, 1, ..., 5: never 1.25, 2.5


def test_a_table_that_fits_the_page_keeps_the_grids_own_widths():
    narrow = tables.readable(pd.DataFrame({"sales_rep": ["Ann Adams"], "n": [171], "win_rate": [0.5]}))
    assert tables.fit_columns(narrow) == {}


def test_a_wide_table_is_fitted_to_the_page_its_key_whole_and_cut_headers_whole_on_hover():
    # The grid would size these 8 columns to 1,127 px (header: 20 + 6.6 px a character; cell: 24 + 7.2 px):
    # too wide for the 975 px a 1440 px screen gives, so headers longer than their cells give up room.
    raw = pd.DataFrame({"sales_rep": ["Ann Adams"], "n": [171], "budget_variance": [0.024], "variance_ci_low": [0.012],
                        "variance_ci_high": [0.037], "slip_days": [3.8], "slip_ci_low": [1.6], "slip_ci_high": [6.0],
                        "delivered_margin": [0.321], "nps_answers_after_projects": [260]})
    fits = tables.fit_columns(tables.readable(raw))
    assert sum(fit.width for fit in fits.values()) <= tables.FIT_PX
    assert fits["Sales rep"] == tables.ColumnFit("Sales rep", 105, "Sales rep")  # the key: 46 + 6.6 * 9, whole
    assert fits["n"].header == "n"
    interval = fits["Budget variance: 95% interval"]
    assert interval.header.startswith("95% int") and interval.full_header == "Budget variance: 95% interval"
    cut = fits["NPS answers after projects"]
    assert cut.header.endswith("…") and cut.full_header.startswith(cut.header[:-1])  # whole on hover (help)


def test_the_csat_that_followed_a_reps_projects_reads_as_a_share_not_as_0_or_1():
    # Re-business's rep table on CSAT: the chart beside it said 86%, the table "1" and "1–1".
    shown = tables.readable(pd.DataFrame({"sales_rep": ["Ivo Quist"], "csat_after": [0.857],
                                          "csat_after_ci_low": [0.75], "csat_after_ci_high": [0.93]}))
    assert shown.frame.iloc[0].tolist() == ["Ivo Quist", "85.7%", "75.0%–93.0%"]
