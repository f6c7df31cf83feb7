"""Issue 14 on the page side: every page on a warehouse with CSAT only and no activities, budgets,
escalations or NPS says what is missing instead of drawing 0, +0.0% or a neutral score; the
satisfaction measure is a URL filter; the Overview opens with the chain in words."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import metrics
from pipelines.ingest import ingest
from pipelines.reporting.formats import MISSING
from tests.conftest import WORLD
from tests.test_pages import chart, metrics_shown, open_page, run_app

PAGES = ["pages/overview.py", "pages/satisfaction_profit.py", "pages/delivery_leads.py", "pages/escalations.py",
         "pages/rebusiness.py", "pages/accounts.py"]
# The fixture world's files a firm measuring CSAT only, without activities or escalations, would have.
KEPT = ["salesforce_accounts.csv", "salesforce_opportunities.csv", "surveymonkey_csat.csv"]


@pytest.fixture(scope="module")
def partial_db(tmp_path_factory) -> Path:
    """The fixture world with CSAT only, no activities, no escalations, and projects without budgets."""
    folder = tmp_path_factory.mktemp("partial")
    exports = folder / "exports"
    exports.mkdir()
    for name in KEPT:
        shutil.copy(WORLD / name, exports / name)
    rows = list(csv.reader((WORLD / "kantata_projects.csv").open(newline="", encoding="utf-8")))
    budget = rows[0].index("Budget (Cost)")
    for row in rows[1:]:
        row[budget] = ""
    with (exports / "kantata_projects.csv").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    db = folder / "warehouse.duckdb"
    ingest([exports], db=db)
    return db


def texts(at: AppTest) -> list[str]:
    """Everything a page wrote in words, markdown escapes taken out."""
    written = [*at.markdown, *at.caption, *at.info, *at.warning, *at.title, *at.subheader]
    shown = [w.value for w in written] + [f"{m.value} {m.delta or ''}" for m in at.metric]
    return [text.replace("\\", "") for text in shown]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_csat_only_without_activities_budgets_or_escalations(monkeypatch, partial_db, page):
    at = open_page(monkeypatch, partial_db, page, {"period": "All time"})
    assert not at.exception
    said = texts(at)
    assert not [text for text in said if "+0.0%" in text]
    assert any(text.startswith("Sources:") for text in said), "the page names its sources and which are loaded"


# Words that name what the partial warehouse lacks: a tile, table column or chart naming one has no figure.
NOT_LOADED = ("nps", "escalation", "budget", "engagement", "activit", "status report", "meeting", "contact")


def names_what_is_missing(text: str) -> bool:
    return any(word in text.lower() for word in NOT_LOADED)


@pytest.mark.parametrize("page", PAGES + ["pages/data.py"])
def test_no_page_draws_a_figure_for_a_source_that_is_not_loaded(monkeypatch, partial_db, page):
    at = open_page(monkeypatch, partial_db, page, {"period": "All time"})
    assert not at.exception
    said = texts(at)
    assert not [text for text in said if "+0.0%" in text or re.search(r"\bnan\b", text, re.IGNORECASE)]
    tiles = {m.label: m.value for m in at.metric if names_what_is_missing(m.label)}
    assert set(tiles.values()) <= {MISSING}, f"tiles for what is not loaded: {tiles}"
    for frame in at.dataframe:
        table = frame.value
        assert not table.astype(str).isin(["nan", "None", "NaN", "<NA>"]).any().any()
        drawn = [c for c in table.columns if names_what_is_missing(str(c)) and set(table[c].astype(str)) != {MISSING}]
        assert not drawn, f"columns with figures for what is not loaded: {drawn}"
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") or "" for c in at.get("plotly_chart")]
    assert not [title for title in titles if names_what_is_missing(title)]


def test_the_overview_draws_no_zero_for_what_is_not_loaded(monkeypatch, partial_db):
    at = open_page(monkeypatch, partial_db, "pages/overview.py", {"period": "All time"})
    shown = metrics_shown(at)
    assert shown["NPS"] == shown["Escalations"] == "—"
    said = " ".join(texts(at))
    assert metrics.missing_note("escalations") in said and metrics.missing_note("nps") in said


def test_the_overview_says_why_instead_of_drawing_empty_rebusiness_bars(monkeypatch, partial_db):
    # The world's CSAT answers are from 2025 and its data stop on 1 Sep 2025: no answer has 12 months after it.
    at = open_page(monkeypatch, partial_db, "pages/overview.py", {"period": "All time"})
    assert [i.value for i in at.info if i.value.startswith("No data")] == [
        "No data: no CSAT answers with their next 12 months complete by the data date (01 Sep 2025), so none can "
        "show yet whether re-business followed."]
    with pytest.raises(AssertionError, match="no chart titled"):
        chart(at, "Re-business within 12 months of a CSAT answer")
    assert not [c.value for c in at.caption if c.value.startswith("n = 0")]


def test_the_overview_ticks_mean_scores_on_whole_scores(monkeypatch, partial_db):
    at = open_page(monkeypatch, partial_db, "pages/overview.py", {"period": "All time"})
    axis = chart(at, "Mean CSAT score of the answers about those projects")["layout"]["yaxis"]
    assert (axis["tickformat"], axis["tick0"], axis["dtick"]) == (".0f", 0, 1)  # 0, 1, ..., 5: never "1.0"


def test_an_overview_chart_with_nothing_in_the_period_says_so(monkeypatch, partial_db):
    # May 2025: no deal closed (the world's deals close Jan-Apr, Jun, Aug), no CSAT answer, no project completed
    at = open_page(monkeypatch, partial_db, "pages/overview.py",
                   {"period": "Custom range", "from": "2025-05-01", "to": "2025-05-31"})
    assert at.radio(key="measure").value == "csat"  # no answers in May: the measure the warehouse has, not NPS
    said = [i.value for i in at.info]
    assert {"No data: no deal closed in the period.", "No data: no CSAT answers in the period.",
            "No data: no CSAT answers given 01 May 2024 – 31 May 2024 (so that their next 12 months fall in the "
            "period) with those 12 months complete by the data date (01 Sep 2025), so none can show yet whether "
            "re-business followed."} <= set(said)
    for title in ("Won amount", "CSAT"):
        with pytest.raises(AssertionError, match="no chart titled"):
            chart(at, title)


def test_no_change_is_drawn_against_a_period_before_the_data_begin(monkeypatch, partial_db):
    # Last 12 months (Oct 2024 - Sep 2025) against Oct 2023 - Sep 2024, when no deal had been won yet:
    # delivery-lead net sales of 100k (OPP001) is no "+100.0k" growth from nothing
    at = open_page(monkeypatch, partial_db, "pages/overview.py")
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles["Delivery-lead net sales"] == ("USD 100.0k", "")
    assert tiles["Won amount"] == ("USD 290.0k", "")


def test_the_measure_opens_on_csat_when_only_csat_is_loaded(monkeypatch, partial_db):
    at = open_page(monkeypatch, partial_db, "pages/satisfaction_profit.py", {"period": "All time"})
    assert at.radio(key="measure").value == "csat"
    assert at.query_params["measure"] == "csat"  # written, so a copied link shows CSAT whatever is loaded later


def test_escalations_say_what_to_load_instead_of_counting_zero(monkeypatch, partial_db):
    at = open_page(monkeypatch, partial_db, "pages/escalations.py", {"period": "All time"})
    assert [i.value for i in at.info] == [metrics.missing_note("escalations")]
    assert not at.metric


def test_budget_variance_is_missing_not_zero_without_budgets(monkeypatch, partial_db):
    at = open_page(monkeypatch, partial_db, "pages/rebusiness.py", {"period": "All time"})
    notes = [i.value for i in at.info]
    assert metrics.missing_note("budgets") in notes and metrics.missing_note("activities") in notes
    with pytest.raises(AssertionError, match="no chart titled"):
        chart(at, "Budget variance of the projects each rep sold")


def test_account_health_leaves_out_and_names_the_components_without_data(monkeypatch, partial_db):
    at = open_page(monkeypatch, partial_db, "pages/accounts.py", {"period": "All time"})
    note = at.info[0].value
    assert "escalations" in note and "engagement" in note and "reweighted" in note


def test_an_accounts_open_escalations_are_missing_not_zero_without_an_escalation_export(monkeypatch, partial_db):
    at = open_page(monkeypatch, partial_db, "pages/accounts.py", {"period": "All time", "account": "Beta Ltd"})
    tile = next(m for m in at.metric if m.label == "Open escalations")
    assert (tile.value, tile.help) == (MISSING, metrics.missing_note("escalations"))


def test_the_overview_opens_with_the_chain_in_words_on_the_demo(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    assert not at.exception
    sentences = [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("- ")]
    assert [s.split(":")[0] for s in sentences[:3]] == [
        "- Delivery -> satisfaction", "- Satisfaction -> re-business", "- Re-business -> margin"]
    assert "clearly lower" in sentences[0]  # the demo plants late delivery followed by lower scores


def test_the_delivery_to_satisfaction_bars_show_both_groups_on_the_demo(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    drawn = chart(at, "Mean NPS score of the answers about those projects")
    assert len(drawn["data"][0]["x"]) == 2


def test_the_measure_is_kept_in_the_url_and_read_by_the_regression(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, "pages/satisfaction_profit.py", {"measure": "csat"})
    assert not at.exception
    assert at.radio(key="measure").value == "csat"
    assert chart(at, "Re-business amount on CSAT score")


def test_a_change_within_the_noise_is_drawn_grey_and_said_so_on_the_demo(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    quiet = {m.label: m.delta for m in at.metric if m.delta and "within noise" in m.delta}
    assert quiet, "the demo's NPS and CSAT changes over the last 12 months are within the noise"
    assert any("within the noise" in c.value for c in at.caption)


def test_a_partial_last_month_is_marked_in_the_trend(monkeypatch, partial_db):
    # The fixture world's data stop on 1 Sep 2025: September is a partial month.
    at = open_page(monkeypatch, partial_db, "pages/overview.py", {"period": "All time"})
    names = [trace.get("name") for trace in chart(at, "Won amount")["data"]]
    assert "partial (to the data date)" in names
    assert any("The last month is partial" in c.value for c in at.caption)


def test_satisfaction_profit_says_why_instead_of_drawing_empty_charts(monkeypatch, partial_db):
    # The world's CSAT answers are from 2025 and its data stop on 1 Sep 2025: no 12-month window is
    # complete; its deals start in 2025, so no quarter has deals a year before it.
    at = open_page(monkeypatch, partial_db, "pages/satisfaction_profit.py", {"period": "All time"})
    assert not at.exception
    notes = [i.value for i in at.info]
    assert any(n.startswith("No answers whose 12-month window is complete") for n in notes)
    assert any(n.startswith("No quarter in the period has deals won the year before it") for n in notes)
    assert any("Re-business amount on CSAT score: no CSAT answers" in n for n in notes)
    assert any("Re-business delivered margin on CSAT score: no CSAT answers" in n for n in notes)
    for title in ("Re-business within 12 months", "Re-business amount on CSAT score",
                  "Net revenue retention and earned growth rate"):
        with pytest.raises(AssertionError, match="no chart titled"):
            chart(at, title)
    three = open_page(monkeypatch, partial_db, "pages/satisfaction_profit.py", {"period": "All time", "months": "3"})
    assert chart(three, "Re-business within 3 months")  # with windows complete, the bars are back


def test_rebusiness_leaves_out_what_has_no_data_behind_it(monkeypatch, partial_db):
    at = open_page(monkeypatch, partial_db, "pages/rebusiness.py", {"period": "All time"})
    assert "No CSAT answers within 6 months after these projects." in [i.value for i in at.info]
    table = next(frame.value for frame in at.dataframe if "Sales rep" in frame.value.columns)
    assert not [column for column in table.columns if "budget" in column.lower()]  # no columns of "—" only
    # the caption under the rep table speaks of no budget chart that is not drawn
    said = next(c.value for c in at.caption if c.value.startswith("n = the rep's projects completed"))
    assert "budget" not in said and "a chart's n = CSAT answers after them (CSAT)" in said


def test_no_quarter_after_the_data_date_is_drawn(monkeypatch, partial_db):
    # An open deal expected to close in Q4 2025, after the data date (1 Sep 2025), is no quarter of data.
    at = open_page(monkeypatch, partial_db, "pages/delivery_leads.py", {"period": "All time"})
    quarters = {q for trace in chart(at, "Net sales by quarter")["data"] for q in trace["x"]}
    assert quarters == {"2025Q1", "2025Q2", "2025Q3"}
