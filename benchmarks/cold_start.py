"""App cold start: from `streamlit run` to the first metric drawn in a headless browser.

The same clock for the app (app.py on a scale's warehouse, its Overview's first KPI), for a
bare Streamlit page that draws one metric, for the same page importing the stack every data app
here pays before its first figure (pandas with numpy and pyarrow, DuckDB), and for the layout
page: the stack page drawing the Overview's first view as Streamlit elements with constant
values (the hidden navigation and its seven links, the sidebar's period, five dimension filters
with as many options as the scale's warehouse holds and the measure, the title, captions and
eight KPI tiles). App minus layout page is what Win-Win's own work adds (its modules, the
warehouse check, the sidebar's and the tiles' queries); layout minus stack page is what its
widgets cost in Streamlit's server and frontend. They run alternately, so a change in the
machine's load touches them alike. The browser is started once, before any clock runs; each
run is a new server process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.measure import ROOT
from ui.filters import PERIODS

# Debian's chromium (Playwright's own browser download needs internet we do not have) and the
# flags for a headless chromium in a root container that must not call home. tests/test_browser.py
# starts its servers and browser with these too.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Generous bounds for a loaded 2-core machine; a run that exceeds them is reported as failed.
SERVER_START_S = 60
RENDER_MS = 120_000
# Seconds between health polls while the server starts (the resolution of the server part).
POLL_S = 0.05
FIRST_METRIC = '[data-testid="stMetric"]'
FIRST_METRIC_DRAWN = f"""() => {{
  const metric = document.querySelector('{FIRST_METRIC}');
  if (metric === null) return false;
  const box = metric.getBoundingClientRect();  // visible as Playwright means it: a box, not hidden
  return box.width > 0 && box.height > 0 && getComputedStyle(metric).visibility !== "hidden";
}}"""
HELLO_PAGE = 'import streamlit as st\n\nst.title("Hello")\nst.metric("Hello", 1)\n'
STACK_PAGE = "import duckdb  # noqa: F401\nimport pandas  # noqa: F401\n" + HELLO_PAGE
# The Overview's first view as elements (ui/filters.py's sidebar, pages/overview.py's tiles), with
# constant values; {periods} the sidebar's periods, {options} the option count of each dimension
# filter, as the warehouse holds.
LAYOUT_PAGE = '''import duckdb  # noqa: F401
import pandas  # noqa: F401
import streamlit as st

st.set_page_config(page_title="Win-Win", layout="wide")


def overview():
    st.title("Overview")
    st.caption("Is delivery quality turning into profit on the next deal? Headline KPIs against the previous period.")
    st.html("<style>[data-testid='stMetricLabel'] {{white-space: normal !important;}}</style>")
    st.caption("Filters: last 12 months · data up to 30 Nov 2026")
    for _ in range(2):
        for place in st.columns(4):
            place.metric("Net Promoter Score", "+31.2", "+1.5", help="NPS over the answers in the period.")


pages = [st.Page(overview, title="Overview", default=True)] + [
    st.Page(lambda: None, title=f"Page {{number}}", url_path=f"page{{number}}") for number in range(6)]
page = st.navigation(pages, position="hidden")
menu = st.sidebar.container()
st.sidebar.selectbox("Period", {periods!r})
for label, count in {options!r}.items():
    st.sidebar.multiselect(label, [f"{{label}} {{number}}" for number in range(count)], placeholder="all")
st.sidebar.radio("Satisfaction measure", ["NPS", "CSAT"], horizontal=True)
for link in pages:
    menu.page_link(link)
page.run()
'''


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


def streamlit_command(script: Path | str, port: int) -> list[str]:
    """`streamlit run script` headless on ``port``, with no file watcher: others may edit the
    checkout while it runs, and a rerun mid-measurement or mid-test would spoil it."""
    return [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]


def hello_script(folder: Path, text: str = HELLO_PAGE, name: str = "hello.py") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def layout_options(db: Path) -> dict[str, int]:
    """How many options each sidebar dimension filter offers on ``db`` (the app's own query)."""
    from pipelines import metrics, warehouse

    with warehouse.connect_readonly(db) as con:
        return {field: len(values) for field, values in metrics.filter_options(con).items()}


def side_by_side(browser, db: Path, folder: Path, logs: Path, repeat: int) -> dict[str, list[float]]:
    """Seconds to the first metric of the app on ``db``, the bare, stack and layout pages,
    ``repeat`` times each, alternately."""
    scripts = {"app": ROOT / "app.py", "bare": hello_script(folder),
               "stack": hello_script(folder, STACK_PAGE, "stack.py"),
               "layout": hello_script(folder, LAYOUT_PAGE.format(periods=PERIODS, options=layout_options(db)), "layout.py")}
    runs: dict[str, list[float]] = {name: [] for name in scripts}
    for _ in range(repeat):
        for name, script in scripts.items():
            runs[name].append(seconds_to_first_metric(browser, script, logs / f"{name}-{db.stem}.log",
                                                      db if name == "app" else None))
    return runs


def seconds_to_first_metric(browser, script: Path, log: Path, db: Path | None = None) -> float:
    """Start `streamlit run script` (WINWIN_DB=db) and time it until a metric is visible."""
    port = free_port()
    url = f"http://localhost:{port}"
    env = {**os.environ, "WINWIN_DEMO": "0", **({"WINWIN_DB": str(db)} if db else {})}
    command = streamlit_command(script, port)
    started = time.perf_counter()
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = started + SERVER_START_S
        while not answers_health(url):
            if server.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"streamlit did not start: {log.read_text()[-2000:]}")
            time.sleep(POLL_S)
        page = browser.new_page()
        try:
            page.goto(url)
            # Checked on every animation frame: a locator's wait backs off to 500 ms between checks,
            # which charged a page drawn a second after the bare one up to half a second more.
            page.wait_for_function(FIRST_METRIC_DRAWN, polling="raf", timeout=RENDER_MS)
            return time.perf_counter() - started
        finally:
            page.close()
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    """Stop a server: politely, then for good after 10 s."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class Browser:
    """Headless chromium for the whole benchmark run (None when Debian's chromium is missing)."""

    def __enter__(self):
        if not CHROMIUM.exists():
            self.browser = None
            return None
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        return self.browser

    def __exit__(self, *exc):
        if self.browser:
            self.browser.close()
            self.playwright.stop()
