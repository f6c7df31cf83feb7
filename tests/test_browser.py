"""End to end: a real Streamlit server, a real browser, the figures the CLI computes.

AppTest (test_pages.py) runs the script without a browser or a server; these tests check what
a user actually sees: the server starts, the page renders in chromium, the sidebar filter
writes the URL, a copied link restores the view, and a fresh install builds the demo warehouse
while showing its progress. The rendered Overview is saved as ``overview.png`` in the first
test's tmp dir; ``pytest --basetemp=DIR`` keeps it where you can look at it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from pipelines import metrics, warehouse
from pipelines.metrics import Period, period_ending
from tests.conftest import ROOT
from ui.format import money, number, pct

# Debian's chromium: Playwright's own browser download needs internet that CI does not have.
CHROMIUM = Path("/usr/bin/chromium")
# Flags for a headless chromium in a root container that must not call home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Server start is ~3 s; allow for a loaded CI machine.
SERVER_START_S = 30
# First render runs every query on a cold cache.
RENDER_MS = 30_000
# First start builds the scale-1 demo warehouse (~10 s here) before the Overview renders.
FIRST_START_MS = 90_000
# The Overview's headline KPIs: label shown -> how the page formats which `metrics --json` figure.
KPIS = {
    "NPS": lambda k: number(k["nps"]),
    "CSAT": lambda k: pct(k["csat_pct"]),
    "Won amount": lambda k: money(k["won_amount"]),
    "Re-business rate": lambda k: pct(k["rebusiness_rate"]),
    "Delivered margin": lambda k: pct(k["delivered_margin"]),
    "Re-business margin": lambda k: pct(k["rebusiness_margin"]),
    "Delivery-lead net sales": lambda k: money(k["delivery_leads"]["net_sales"]),
    "Escalations": lambda k: number(k["escalations"]["count"]),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers_health(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def streamlit_server(db: Path, demo: bool, log: Path):
    """`streamlit run app.py` on a free port with WINWIN_DB=db; yields its URL, always stopped."""
    port = free_port()
    url = f"http://localhost:{port}"
    env = {**os.environ, "WINWIN_DB": str(db), "WINWIN_DEMO": "1" if demo else "0"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]  # others edit this checkout: no reruns mid-test
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(SERVER_START_S * 5):
            if answers_health(url):
                break
            try:  # wait for the server to exit, 0.2 s at most, between polls
                server.wait(timeout=0.2)
                pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
            except subprocess.TimeoutExpired:
                pass
        else:
            pytest.fail(f"streamlit did not answer {url}/_stcore/health in {SERVER_START_S} s:\n{log.read_text()}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def cli_kpis(demo_db) -> dict[str, dict]:
    """What `metrics --json` computes for the Overview's default period (last 12 months of data) and for all time."""
    with warehouse.connect_readonly(demo_db) as con:
        last_12 = period_ending(metrics.data_date(con), 12)  # ui/filters.py's default preset
        return {"Last 12 months": metrics.kpis(con, last_12), "All time": metrics.kpis(con, Period())}


@pytest.fixture(scope="module")
def app_url(demo_db, tmp_path_factory):
    with streamlit_server(demo_db, demo=False, log=tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"no {CHROMIUM}: install Debian's chromium with `apt-get install chromium`"
        if os.environ.get("WINWIN_BROWSER_TESTS") == "required":
            pytest.fail(reason + " (WINWIN_BROWSER_TESTS=required)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 2400})
    yield context.new_page()
    context.close()


def metric_value(page: Page, label: str):
    metric = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return metric.get_by_test_id("stMetricValue")


def expect_kpis(page: Page, figures: dict, timeout: int = RENDER_MS) -> None:
    """Wait until every headline KPI shows the figure formatted from `figures`."""
    for label, shown in KPIS.items():
        expect(metric_value(page, label)).to_have_text(shown(figures), timeout=timeout)


def expect_rendered(page: Page, timeout: int = RENDER_MS) -> None:
    """Wait until the Overview's script has run to its end: all KPIs, the heading and all four charts."""
    expect(page.get_by_test_id("stMetric")).to_have_count(len(KPIS), timeout=timeout)
    expect(page.get_by_role("heading", name="Does satisfaction bring the next deal?")).to_be_visible(timeout=timeout)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(4, timeout=timeout)
    expect(page.locator("[data-testid=stApp][data-test-script-state=notRunning]")).to_have_count(1, timeout=timeout)


def choose_period(page: Page, choice: str) -> None:
    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name=choice, exact=True).click()


def test_overview_opens_on_the_last_12_months_with_the_cli_figures_and_no_exception(page, app_url, cli_kpis, tmp_path):
    page.goto(app_url)
    expect_rendered(page)
    page.screenshot(path=tmp_path / "overview.png", full_page=True)
    expect(page.get_by_role("combobox", name="Period")).to_have_value("Last 12 months")
    expect_kpis(page, cli_kpis["Last 12 months"])
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_choosing_all_time_writes_the_url_and_shows_the_all_time_figures(page, app_url, cli_kpis):
    assert KPIS["NPS"](cli_kpis["All time"]) != KPIS["NPS"](cli_kpis["Last 12 months"])
    assert KPIS["Won amount"](cli_kpis["All time"]) != KPIS["Won amount"](cli_kpis["Last 12 months"])
    page.goto(app_url)
    expect_kpis(page, cli_kpis["Last 12 months"])
    choose_period(page, "All time")
    expect(page).to_have_url(re.compile(r"[?&]period=All\+time(&|$)"))
    expect_kpis(page, cli_kpis["All time"])
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_the_link_the_app_writes_reproduces_the_view_in_a_new_page(page, browser, app_url, cli_kpis):
    page.goto(app_url)
    expect(page.get_by_test_id("stMetric")).to_have_count(len(KPIS), timeout=RENDER_MS)  # first run done
    choose_period(page, "All time")
    expect(page).to_have_url(re.compile(r"period=All\+time"))
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        opened = fresh.new_page()
        opened.goto(page.url)
        expect(opened.get_by_role("combobox", name="Period")).to_have_value("All time", timeout=RENDER_MS)
        expect_kpis(opened, cli_kpis["All time"])
    finally:
        fresh.close()


def test_first_start_builds_the_demo_warehouse_showing_progress_then_the_overview(page, tmp_path):
    db = tmp_path / "fresh" / "warehouse.duckdb"
    db.parent.mkdir()
    with streamlit_server(db, demo=True, log=tmp_path / "streamlit.log") as url:
        page.goto(url)
        expect(page.get_by_text("First start: building the demo warehouse")).to_be_visible(timeout=RENDER_MS)
        expect(page.get_by_text("Demo warehouse ready")).to_be_visible(timeout=FIRST_START_MS)
        expect_rendered(page, timeout=FIRST_START_MS)
        expect(page.get_by_test_id("stMetricValue").first).not_to_have_text("–")
        expect(page.get_by_test_id("stException")).to_have_count(0)
    assert db.exists()
