"""The Overview renders in AppTest on the fixture, demo and empty warehouses; figures are checked."""

from __future__ import annotations

import html
import re
import shutil

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import access, warehouse
from pipelines.reporting.formats import MISSING
from tests.conftest import ROOT, run_app
from ui import data


def metrics_shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_on_an_empty_warehouse_explains_how_to_load(monkeypatch, empty_db):
    at = run_app(monkeypatch, empty_db)
    assert not at.exception
    said = at.info[0].value
    assert "Open **Data** in the menu and load your firm's exports there" in said  # the local user is the admin
    assert "python -m" not in said and "`" not in said  # no command line in the web page
    assert not at.metric


@pytest.mark.parametrize("role,loads", [("viewer", False), ("team_lead", False), ("analyst", False),
                                        ("loader", True), ("admin", True)])
def test_an_empty_warehouse_says_in_words_who_loads_the_data(monkeypatch, empty_db, role, loads):
    # The visitor at this machine in ``role`` (the gate's sign-in paths are test_access's, through a real server).
    monkeypatch.setattr(access, "local_access", lambda: access.Access("someone@example.com", role))
    at = open_page(monkeypatch, empty_db, "pages/escalations.py")
    assert not at.exception
    said = at.info[0].value
    assert ("Open **Data** in the menu" in said) is loads
    assert (f"not part of your role ({role.replace('_', ' ')}). Ask whoever loads" in said) is not loads
    assert "python -m" not in said and not at.get("plotly_chart")


def test_overview_shows_the_hand_computed_kpis_for_all_time(monkeypatch, world_db):
    at = run_app(monkeypatch, world_db, {"period": "All time"})
    assert not at.exception
    shown = metrics_shown(at)
    assert shown["NPS"] == "17"  # (3 promoters - 2 detractors) / 6 answers
    assert shown["Won amount"] == "USD 290.0k"
    assert shown["Re-business rate"] == "31.0%"  # 90k / 290k
    assert shown["Delivered margin"] == "31.6%"  # 79k / 250k
    assert shown["Escalations"] == "3"


def settled(at: AppTest) -> AppTest:
    """Run once more, so the sidebar's widgets are the ones later runs read.

    AppTest runs app.py (which draws the shared sidebar) on its first run only; later runs
    run the page script alone, which then draws the filters itself (ui.filters.current).
    """
    return at.run()


def test_changing_the_period_changes_the_figures_and_the_url(monkeypatch, world_db):
    at = settled(run_app(monkeypatch, world_db, {"period": "All time"}))
    everything = metrics_shown(at)
    at.selectbox(key="period").set_value("Custom range").run()
    at.date_input(key="from").set_value("2025-01-01").run()
    at.date_input(key="to").set_value("2025-03-31").run()
    assert not at.exception
    q1 = metrics_shown(at)
    assert q1["Won amount"] == "USD 200.0k" != everything["Won amount"]


def test_url_parameters_restore_the_filters(monkeypatch, world_db):
    at = run_app(monkeypatch, world_db, {"period": "Custom range", "from": "2025-01-01", "to": "2025-03-31"})
    assert not at.exception
    assert at.selectbox(key="period").value == "Custom range"
    assert metrics_shown(at)["Won amount"] == "USD 200.0k"


def test_overview_on_the_demo_warehouse(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    assert not at.exception
    shown = metrics_shown(at)
    assert set(shown) >= {"NPS", "CSAT", "Won amount", "Re-business rate", "Delivered margin", "Escalations"}
    assert all(value != MISSING for value in shown.values())
    assert any("NPS answers with a complete 12-month window" in c.value for c in at.caption)


def test_overview_link_is_filled_for_the_default_period(monkeypatch, demo_db):
    # The default "Last 12 months" has no answers with a complete 12-month window of their own:
    # the chart reads the answers of the 12 months before, whose next 12 months are the period.
    at = run_app(monkeypatch, demo_db)
    caption = next(c.value for c in at.caption if "complete 12-month window" in c.value)
    answers = int(caption.split("n = ")[1].split(" ")[0].replace(",", ""))
    assert answers > 500
    assert "so that their next 12 months fall in the period" in caption


def test_money_deltas_are_as_short_as_the_values(monkeypatch, world_db):
    at = run_app(monkeypatch, world_db, {"period": "Custom range", "from": "2025-04-01", "to": "2025-06-30"})
    # Q2 2025 won 50k (OPP002) against Q1's 200k
    won = next(m for m in at.metric if m.label == "Won amount")
    assert (won.value, won.delta) == ("USD 50.0k", "-150.0k")


def test_a_failed_first_start_build_shows_its_error_and_how_to_load(monkeypatch):
    monkeypatch.setenv("WINWIN_DEMO", "1")
    at = run_app(monkeypatch, "/proc/winwin-cannot-write-here/warehouse.duckdb")
    assert not at.exception
    assert "python -m pipelines demo --out data/demo --ingest" in at.error[0].value
    assert "load your firm's exports there" in at.info[0].value


def test_a_segment_in_the_url_filters_the_overview(monkeypatch, world_db):
    # Enterprise = Acme: OPP001 100k + OPP002 50k
    at = run_app(monkeypatch, world_db, {"period": "All time", "segment": "Enterprise"})
    assert not at.exception
    assert at.multiselect(key="segment").value == ["Enterprise"]
    assert metrics_shown(at)["Won amount"] == "USD 150.0k"


def test_choosing_a_sales_rep_changes_the_figures(monkeypatch, world_db):
    # Rita Rep won OPP003 80k + OPP005 20k + OPP006 40k
    at = settled(run_app(monkeypatch, world_db, {"period": "All time"}))
    at.multiselect(key="rep").set_value(["Rita Rep"]).run()
    assert not at.exception
    assert metrics_shown(at)["Won amount"] == "USD 140.0k"


def test_the_filters_are_kept_when_switching_pages(monkeypatch, world_db):
    # Enterprise = Acme; its delivery lead OPP001 won 100k
    at = run_app(monkeypatch, world_db, {"period": "All time", "segment": "Enterprise"})
    at.switch_page("pages/delivery_leads.py").run()
    assert not at.exception
    assert (at.selectbox(key="period").value, at.multiselect(key="segment").value) == ("All time", ["Enterprise"])
    assert metrics_shown(at)["Deals"] == "1"


def test_every_menu_link_carries_the_filters_and_nothing_page_specific(monkeypatch, world_db):
    at = run_app(monkeypatch, world_db, {"period": "All time", "segment": "Enterprise", "account": "Acme"})
    links = at.get("page_link")
    assert [link.proto.label for link in links][:2] == ["Overview", "Satisfaction → Profit"]
    assert {link.proto.query_string for link in links} == {"period=All+time&segment=Enterprise&measure=nps"}


def test_url_values_that_do_not_fit_fall_back_to_the_defaults_and_leave_the_url(monkeypatch, world_db):
    at = run_app(monkeypatch, world_db, {"period": "Last 7 years", "segment": ["Enterprise", "No such"], "from": "x"})
    assert not at.exception
    assert at.selectbox(key="period").value == "Last 12 months"
    assert at.multiselect(key="segment").value == ["Enterprise"]
    assert at.query_params == {"segment": "Enterprise", "measure": "nps"}  # the measure's default is written too


def test_a_range_given_backwards_is_shown_the_right_way_round_with_a_warning(monkeypatch, world_db):
    at = run_app(monkeypatch, world_db, {"period": "Custom range", "from": "2025-03-31", "to": "2025-01-01"})
    assert "From is after To" in at.sidebar.warning[0].value
    assert metrics_shown(at)["Won amount"] == "USD 200.0k"  # the same as 2025-01-01 – 2025-03-31


ANALYSIS_PAGES = ["pages/satisfaction_profit.py", "pages/delivery_leads.py", "pages/escalations.py",
                  "pages/rebusiness.py", "pages/accounts.py"]


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_every_analysis_page_explains_an_empty_warehouse(monkeypatch, empty_db, page):
    at = open_page(monkeypatch, empty_db, page)
    assert not at.exception
    assert at.info[0].value == data.EMPTY_FOR_LOADERS
    assert not at.get("plotly_chart")


# --- Helpers shared by the analysis pages' tests (tests/test_page_*.py) -----------------------

def open_page(monkeypatch, db, page: str, query_params: dict | None = None) -> AppTest:
    """Open ``page`` of the app on ``db`` with the URL parameters given, as a pasted link does.

    Chosen before the first run, AppTest runs the page script alone, which draws the sidebar's
    filters itself (ui.filters.current). app.py's shared sidebar, which keeps the filters on a
    page switch in a browser, is what the Overview tests' first run draws.
    """
    monkeypatch.setenv("WINWIN_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def chart(at: AppTest, title: str) -> dict:
    """The plotly figure titled ``title``, with its binary-packed arrays decoded to lists."""
    import base64
    import json

    import numpy as np

    def decode(node):
        if isinstance(node, dict):
            if set(node) >= {"dtype", "bdata"}:
                return np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"]).tolist()
            return {k: decode(v) for k, v in node.items()}
        if isinstance(node, list):
            return [decode(v) for v in node]
        return node

    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"].get("title", {}).get("text") == title:
            return decode(spec)
    raise AssertionError(f"no chart titled {title!r}")


def bars(at: AppTest, title: str) -> dict[str, tuple[float, float, float]]:
    """A bar chart's groups -> (value, 95% low, 95% high), read back from its whiskers; the
    same for bars on their side (long category names), whose groups are on the y axis."""
    trace = chart(at, title)["data"][0]
    across = trace.get("orientation") == "h"
    error = trace.get("error_x" if across else "error_y", {})
    values, groups = (trace["x"], trace["y"]) if across else (trace["y"], trace["x"])
    highs = error.get("array", [0] * len(values))
    lows = error.get("arrayminus", [0] * len(values))
    names = [html.unescape(re.split(r"<br>n = |  ·  n = ", group)[0].replace("<br>", " ")) for group in groups]
    return {name: (v, v - lo, v + hi) for name, v, lo, hi in zip(names, values, lows, highs)}


def test_a_warehouse_an_earlier_version_built_is_upgraded_on_opening(monkeypatch, world_db, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copy(world_db, old)
    with duckdb.connect(str(old)) as con:  # as built before sales teams existed
        con.execute("ALTER TABLE fct_opportunity DROP COLUMN sales_team")
    at = run_app(monkeypatch, old, {"period": "All time"})
    assert not at.exception
    assert "Warehouse upgraded" in [status.label for status in at.status]
    assert metrics_shown(at)["Won amount"] == "USD 290.0k"  # nothing lost
    with duckdb.connect(str(old), read_only=True) as con:
        assert warehouse.missing_columns(con) == []
