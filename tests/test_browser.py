"""End to end: a real Streamlit server, a real browser, the figures the CLI computes.

AppTest (test_pages.py) runs the script without a browser or a server; these tests check what
a user actually sees: the server starts, every page registered in app.py's navigation renders
in chromium, the sidebar filter writes the URL and changes the KPIs and the charts, a copied
link restores the view, a chart's CSV and the board pack download with the right contents, and
a fresh install builds the demo warehouse while showing its progress. A full-page screenshot
of every page goes to ``$WINWIN_SCREENSHOTS`` (default: a pytest tmp dir).
"""

from __future__ import annotations

import ast
import csv
import io
import os
import re
import subprocess
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from benchmarks.cold_start import CHROMIUM, CHROMIUM_ARGS, answers_health, free_port, stop, streamlit_command
from pipelines import metrics, warehouse
from pipelines.reporting import board_pack, formats
from pipelines.reporting.files import slug
from pipelines.reporting.kpis import KPIS as HEADLINE
from pipelines.reporting.kpis import default_period
from pipelines.metrics import Period
from tests.conftest import ROOT

# Server start is ~3 s; allow for a loaded CI machine.
SERVER_START_S = 30
# First render runs every query on a cold cache.
RENDER_MS = 30_000
# First start builds the scale-1 demo warehouse (~10 s here) before the Overview renders.
FIRST_START_MS = 90_000
# The board pack takes ~10 s on a cold server (kaleido's browser starts, chromium prints).
BOARD_PACK_MS = 120_000
# The Overview's headline KPIs: label shown -> how the page writes its `metrics --json` figure
# (reporting.kpis, the table the tiles and the board pack are drawn from).
KPIS = {kpi.label: kpi.value for kpi in HEADLINE}


@contextmanager
def streamlit_server(db: Path, demo: bool, log: Path):
    """`streamlit run app.py` on a free port with WINWIN_DB=db; yields its URL, always stopped."""
    port = free_port()
    url = f"http://localhost:{port}"
    env = {**os.environ, "WINWIN_DB": str(db), "WINWIN_DEMO": "1" if demo else "0"}
    command = streamlit_command("app.py", port)
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
        stop(server)


@pytest.fixture(scope="module")
def cli_kpis(demo_db) -> dict[str, dict]:
    """What `metrics --json` computes for the Overview's default period (last 12 months of data) and for all time."""
    with warehouse.connect_readonly(demo_db) as con:
        last_12 = default_period(metrics.data_date(con))  # the sidebar's default choice
        return {"Last 12 months": metrics.kpis(con, last_12), "All time": metrics.kpis(con, Period())}


@pytest.fixture(autouse=True)
def demo_money(no_currencies_from_an_earlier_test, demo_db):
    """Money in this module's expectations is written in the demo's currency, as the pages write it."""
    with warehouse.connect_readonly(demo_db) as con:
        formats.use_currencies(metrics.currencies(con))


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
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return metric.get_by_test_id("stMetricValue")


def expect_kpis(page: Page, figures: dict, timeout: int = RENDER_MS) -> None:
    """Wait until every headline KPI shows the figure formatted from `figures`."""
    for label, shown in KPIS.items():
        expect(metric_value(page, label)).to_have_text(shown(figures), timeout=timeout)


def expect_rendered(page: Page, timeout: int = RENDER_MS) -> None:
    """Wait until the Overview's script has run to its end: all KPIs, the heading and all five charts
    (the link, delivery -> satisfaction and the three monthly trends)."""
    expect(page.get_by_test_id("stMetric")).to_have_count(len(KPIS), timeout=timeout)
    expect(page.get_by_role("heading", name="Does satisfaction bring the next deal?")).to_be_visible(timeout=timeout)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(5, timeout=timeout)
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


def registered_pages() -> list[tuple[str, str]]:
    """(title, URL path) of every st.Page in app.py's navigation, in order, read from its source
    so that a page added there is visited here without touching this file."""
    pages = []
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            options = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
            script = Path(ast.literal_eval(node.args[0]))
            # Streamlit's own rule: the default page is the root; others their url_path or file stem.
            path = "" if options.get("default") else options.get("url_path", re.sub(r"^[0-9]+_?", "", script.stem))
            pages.append((options.get("title", script.stem), path))
    return pages


def menu_links(page: Page):
    """The sidebar menu's links (app.py draws them with st.page_link, one per page)."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink")


def expect_script_done(page: Page, timeout: int = RENDER_MS) -> None:
    expect(page.locator("[data-testid=stApp][data-test-script-state=notRunning]")).to_have_count(1, timeout=timeout)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("WINWIN_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_every_page_registered_in_app_py_opens_from_the_sidebar_renders_and_is_screenshotted(
    page, app_url, screenshots
):
    pages = registered_pages()
    page.goto(app_url)
    expect_rendered(page)
    # A link's text is its icon's name, then its title ("insightsOverview").
    links = menu_links(page)
    expect(links).to_have_text([re.compile(f"{re.escape(title)}$") for title, _ in pages])
    shots = []
    for place, (title, path) in enumerate(pages, start=1):
        links.nth(place - 1).click()
        expect(page).to_have_url(re.compile(rf"^{re.escape(app_url)}/{re.escape(path)}(\?|$)"))
        expect_script_done(page)
        expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible(timeout=RENDER_MS)
        expect(page.get_by_test_id("stException"), f"{title}: exception").to_have_count(0)
        shots.append(screenshots / f"{place:02d}-{slug(title) or 'page'}.png")
        page.screenshot(path=shots[-1], full_page=True)
    assert all(shot.stat().st_size for shot in shots)


def rate_bar_labels(page: Page) -> list[str]:
    """The x labels of the Overview's first chart, each category with its n, spaces dropped
    ("promotern=520": plotly draws the two lines as tspans without a space between)."""
    labels = page.get_by_test_id("stPlotlyChart").first.locator("g.xtick text")
    expect(labels).to_have_count(3, timeout=RENDER_MS)
    return ["".join(text.split()) for text in labels.all_text_contents()]


def link_labels(con, period: Period) -> list[str]:
    """What the Overview's first chart labels its bars with, from metrics (charts.rate_bars), spaces dropped."""
    link = metrics.rebusiness_by_nps_category(con, metrics.answers_followed_into(period, 12), months=12)
    return [f"{row.category}n={row.n:,}" for row in link.itertuples()]


def test_choosing_all_time_redraws_the_charts_with_the_all_time_figures(page, app_url, demo_db):
    with warehouse.connect_readonly(demo_db) as con:
        last_12, all_time = link_labels(con, default_period(metrics.data_date(con))), link_labels(con, Period())
    assert last_12 != all_time
    page.goto(app_url)
    expect_rendered(page)
    assert rate_bar_labels(page) == last_12
    choose_period(page, "All time")
    expect(page).to_have_url(re.compile(r"[?&]period=All\+time(&|$)"))
    expect(page.get_by_test_id("stPlotlyChart").first.locator("g.xtick text").first).to_have_text(
        re.compile(re.escape(all_time[0].split("n=")[1]) + "$"), timeout=RENDER_MS
    )
    assert rate_bar_labels(page) == all_time


def test_the_accounts_page_drills_into_an_account(page, app_url):
    path = page_path("account")
    page.goto(f"{app_url}/{path}")
    expect_script_done(page)
    picker = page.get_by_role("combobox", name="Open an account")
    picker.click()
    option = page.get_by_role("option").nth(1)  # the first account after "All accounts"
    name = option.inner_text().strip()
    option.click()
    expect(page).to_have_url(re.compile(r"[?&]account=[^&]+"))
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=name, exact=True)).to_be_visible(timeout=RENDER_MS)
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible(timeout=RENDER_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def page_path(title_start: str) -> str:
    """The URL path of the page registered in app.py whose title starts with ``title_start``."""
    return next(path for title, path in registered_pages() if title.lower().startswith(title_start))


def test_a_click_on_an_account_in_the_win_win_matrix_opens_it_with_the_filters_kept(page, app_url):
    page.goto(f"{app_url}/{page_path('satisfaction')}?period=All+time")
    expect_script_done(page)
    matrix = page.get_by_test_id("stPlotlyChart").filter(has_text="Win-win matrix")
    matrix.scroll_into_view_if_needed()
    point = matrix.locator(".scatterlayer .point").first
    expect(point).to_be_visible(timeout=RENDER_MS)
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(rf"/{page_path('account')}\?.*account=[^&]+"), timeout=RENDER_MS)
    assert "period=All+time" in page.url
    name = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["account"][0]
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=name, exact=True)).to_be_visible(timeout=RENDER_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_click_on_a_bar_lists_the_rows_behind_it_and_a_row_opens_its_account(page, app_url, demo_db):
    with warehouse.connect_readonly(demo_db) as con:
        link = metrics.rebusiness_by_nps_category(con, metrics.answers_followed_into(Period(), 12), months=12)
    page.goto(f"{app_url}/?period=All+time")
    expect_rendered(page)
    bar = page.get_by_test_id("stPlotlyChart").first.locator(".barlayer .point").nth(2)  # detractors
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8)
    detractors = int(link.set_index("category").loc["detractor", "n"])
    expect(page.get_by_text(f"The detractor answers behind the bar: {detractors:,} rows")).to_be_visible(
        timeout=RENDER_MS
    )
    rows = page.get_by_test_id("stDataFrame").first
    expect(rows).to_be_visible()
    grid = rows.bounding_box()
    page.mouse.click(grid["x"] + 18, grid["y"] + 52)  # the first row's selection box (rows are 35 px, under a header)
    expect(page).to_have_url(re.compile(rf"/{page_path('account')}\?.*account=[^&]+"), timeout=RENDER_MS)
    assert "period=All+time" in page.url
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible(timeout=RENDER_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)


# A drillable chart of each page but the Overview (whose bar, list and row are clicked above):
# (title of the page in app.py, starts with; chart title; heading of the rows behind its first bar).
DRILLS = [
    ("satisfaction", "Re-business within 12 months", "answers behind the bar"),
    ("delivery", "Win rate: delivery against other sources", "Deals from"),
    ("escalations", "Escalations per active project by severity", "Escalations of severity"),
    ("re-business", "Delivered margin per project", "projects completed in the period"),
]


@pytest.mark.parametrize("title_start, chart, listed", DRILLS, ids=[d[0] for d in DRILLS])
def test_a_click_on_the_first_bar_of_each_pages_drillable_chart_lists_its_rows(
    page, app_url, title_start, chart, listed
):
    page.goto(f"{app_url}/{page_path(title_start)}?period=All+time")
    expect_script_done(page)
    figure = page.get_by_test_id("stPlotlyChart").filter(has_text=chart).first
    figure.scroll_into_view_if_needed()
    bar = figure.locator(".barlayer .point").first
    expect(bar).to_be_visible(timeout=RENDER_MS)
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8)
    expect(page.get_by_text(re.compile(rf"{re.escape(listed)}.*: [0-9,]+ rows\.")).first).to_be_visible(
        timeout=RENDER_MS
    )
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_the_sidebar_filters_stay_in_the_url_and_the_widgets_from_page_to_page(page, browser, app_url):
    # Another session's page switches first: Streamlit's own menu then lost them (issue 6).
    other = browser.new_page()
    try:
        other.goto(app_url)
        expect_script_done(other)
        for title, _ in registered_pages()[1:3]:
            menu_links(other).filter(has_text=title).click()
            expect_script_done(other)
    finally:
        other.close()
    page.goto(f"{app_url}/?period=All+time&segment=SMB")
    expect_script_done(page)
    for title, path in registered_pages()[1:]:
        menu_links(page).filter(has_text=title).click()
        expect(page).to_have_url(re.compile(rf"/{path}\?"), timeout=RENDER_MS)
        expect_script_done(page)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
        assert query == {"period": ["All time"], "segment": ["SMB"], "measure": ["nps"]}, (title, page.url)
        expect(page.get_by_role("combobox", name="Period")).to_have_value("All time")
        expect(page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first).to_contain_text("SMB")


def test_choosing_a_segment_writes_it_to_the_url_and_clearing_it_removes_it(page, app_url):
    page.goto(f"{app_url}/?period=All+time")
    expect(menu_links(page)).to_have_count(len(registered_pages()), timeout=RENDER_MS)  # drawn after the filters
    expect_script_done(page)
    segment = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    segment.get_by_role("combobox").fill("SMB")
    page.keyboard.press("Enter")
    # the measure's default is written too (ui/filters.to_url), before or after the segment
    expect(page).to_have_url(re.compile(r"\?period=All\+time(&measure=nps&segment=SMB|&segment=SMB&measure=nps)$"))
    expect_script_done(page)
    segment.get_by_label("Clear all").click()
    expect(page).to_have_url(re.compile(r"\?period=All\+time&measure=nps$"))


def download(page: Page, button, timeout: int = RENDER_MS):
    with page.expect_download(timeout=timeout) as started:
        button.click()
    return started.value


def test_a_charts_csv_downloads_with_the_figures_on_screen(page, app_url, demo_db):
    with warehouse.connect_readonly(demo_db) as con:
        data_date = metrics.data_date(con)
        expected = metrics.rebusiness_by_nps_category(
            con, metrics.answers_followed_into(default_period(data_date), 12), months=12
        )
    page.goto(app_url)
    expect_rendered(page)
    page.get_by_test_id("stPopover").first.get_by_role("button").click()
    file = download(page, page.get_by_test_id("stPopoverBody").get_by_role("button", name="Data (CSV)"))
    assert file.suggested_filename.startswith("re-business-within-12-months-of-an-nps-answer_")
    assert file.suggested_filename.endswith(f"{slug(f'{data_date:%d %b %Y}')}.csv")  # what, then when
    rows = list(csv.DictReader(io.StringIO(Path(file.path()).read_text(encoding="utf-8-sig"), newline="")))
    assert [(row["category"], int(row["n"])) for row in rows] == list(zip(expected["category"], expected["n"]))


def test_the_board_pack_downloads_as_a_pdf_stamped_on_every_page(page, app_url, cli_kpis, demo_db):
    page.goto(app_url)
    expect_rendered(page)
    button = page.get_by_test_id("stSidebar").get_by_role("button", name="Board pack (PDF)")
    if not button.count():
        pytest.skip(
            "the Overview has no board pack button yet: pages/overview.py must call "
            "exports.board_pack_button(...) (see ui/exports.py)"
        )
    file = download(page, button, timeout=BOARD_PACK_MS)
    with warehouse.connect_readonly(demo_db) as con:
        data_date = metrics.data_date(con)
    default = default_period(data_date)
    stamp = metrics.Filters.of(default).stamp(data_date)
    assert file.suggested_filename == board_pack.board_pack_name(default, data_date)
    pages = [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(file.path()).pages]
    assert len(pages) >= 4 and all(f"Win-Win board pack · {stamp}" in text for text in pages)
    assert f"Won amount {KPIS['Won amount'](cli_kpis['Last 12 months'])}" in pages[0]


# --- Read at a glance (issue 15): every page at a desktop and a narrow window --------------------

# The two windows every page is checked at: a laptop, and a laptop split in two (or a tablet).
VIEWPORTS = {"1440x900": (1440, 900), "820x1000": (820, 1000)}
# A column header that is a code name ("still_open", "slip_ci_low") rather than words.
SNAKE_CASE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
# Where the app itself answers; a request to any other host leaves the machine.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
# Streamlit draws a ":material/...:" page icon as a favicon fetched from Google's font server
# (MATERIAL_FAVICON); app.py's page icon is the local ui/icon.png, so any request leaving the
# machine fails the test.
# Pages allowed to show code names as headers for now (reported as an xfail): none since the Data
# page draws its tables through reporting.tables.readable.
NOT_YET_READABLE: set[str] = set()
MATERIAL_FAVICON = "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/"


def leaves_the_machine(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme not in ("data", "blob", "about", "chrome-extension") and parts.hostname not in LOCAL_HOSTS


def rotated_tick_labels(page: Page) -> list[str]:
    """Tick labels plotly drew turned (a ``rotate(...)`` other than 0 on the text)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('g.xtick text, g.ytick text')]
              .filter(t => /rotate\\((?!0[,)])/.test(t.getAttribute('transform') || ''))
              .map(t => t.textContent)"""
    )


def table_headers(page: Page) -> list[str]:
    """The column headers of every st.dataframe on the page (the grid's accessible header cells)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stDataFrame] [role=columnheader]')]
              .map(h => h.textContent.trim()).filter(Boolean)"""
    )


def cut_metric_labels(page: Page) -> list[str]:
    """KPI labels wider than their tile (shown with an ellipsis instead of whole)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMetricLabel]')]
              .filter(l => [l, ...l.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
              .map(l => l.textContent)"""
    )


@pytest.fixture(scope="module")
def glance_shots() -> Path:
    folder = Path(os.environ.get("WINWIN_SCREENSHOTS") or "/tmp/shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("size", VIEWPORTS)
def test_every_page_reads_at_a_glance_and_fetches_nothing_from_the_network(browser, app_url, size, glance_shots):
    width, height = VIEWPORTS[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    leaving: list[str] = []
    page.on("request", lambda request: leaving.append(request.url) if leaves_the_machine(request.url) else None)
    problems, known, headers_seen = [], [], 0
    try:
        for place, (title, path) in enumerate(registered_pages(), start=1):
            page.goto(f"{app_url}/{path}?period=All+time")
            expect_script_done(page)
            expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible(timeout=RENDER_MS)
            expect(page.get_by_test_id("stException"), f"{title}: exception").to_have_count(0)
            charts_drawn = page.get_by_test_id("stPlotlyChart")
            for n in range(charts_drawn.count()):
                expect(charts_drawn.nth(n).locator(".main-svg").first).to_be_attached(timeout=RENDER_MS)
            # The grid draws its header cells after the page's script is done: on a loaded machine
            # they were read before they existed (no header seen on any page, in the full CI run).
            grids = page.get_by_test_id("stDataFrame")
            for n in range(grids.count()):
                expect(grids.nth(n).locator("[role=columnheader]").first).to_be_attached(timeout=RENDER_MS)
            page.wait_for_timeout(300)  # plotly lays out tick labels just after drawing the axes
            if rotated := rotated_tick_labels(page):
                problems.append(f"{title} at {size}: rotated tick labels {rotated[:5]}")
            headers = table_headers(page)
            headers_seen += len(headers)
            if snake := [h for h in headers if SNAKE_CASE.match(h)]:
                (known if title in NOT_YET_READABLE else problems).append(
                    f"{title} at {size}: code names as column headers {sorted(set(snake))[:8]}")
            if width < 900:
                expect(page.get_by_test_id("stSidebar"), f"{title}: sidebar open at {size}").to_have_attribute(
                    "data-collapsed", "true", timeout=RENDER_MS)
                if cut := cut_metric_labels(page):
                    problems.append(f"{title} at {size}: KPI labels cut {cut}")
            # The whole page: Streamlit scrolls inside its own container, so the window is made as
            # tall as the content for the picture, then put back.
            tall = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
            page.set_viewport_size({"width": width, "height": max(height, tall)})
            page.screenshot(path=glance_shots / f"{size}-{place:02d}-{slug(title) or 'page'}.png")
            page.set_viewport_size({"width": width, "height": height})
    finally:
        context.close()
    assert headers_seen, "no table header found: the grid's markup changed, so the snake_case check saw nothing"
    assert not problems, "\n".join(problems)
    # app.py's page icon is ui/icon.png: a :material: icon was fetched from MATERIAL_FAVICON.
    assert not leaving, f"requests leaving the machine: {sorted(set(leaving))[:10]}"
    if known:
        pytest.xfail("; ".join(known))
