"""House rules that keep the project simple: layers, portable SQL, docs that match CI."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from pipelines import adapters, marts

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "pipelines").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_pipelines_never_import_streamlit_or_the_app(path):
    """pipelines/ is what the command line, the board pack and the tests use without the app:
    it never climbs back up into ui/ (Streamlit glue) or into streamlit itself."""
    assert not {"streamlit", "ui"} & imported_modules(path)


@pytest.mark.parametrize("name", marts.MART_ORDER)
def test_mart_sql_transpiles_to_spark(name):
    sqlglot.transpile(marts.sql_of(name), read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)


@pytest.mark.parametrize("layout", sorted(adapters.load_layouts()), ids=str)
def test_staging_sql_transpiles_to_spark(layout):
    spec = adapters.load_layouts()[layout]
    header = spec.source_columns
    sql, _ = adapters.staging_sql(spec, header)
    sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)


class RecordingConnection:
    """Passes queries to DuckDB and keeps their text, so a test sees every SQL a metric runs."""

    def __init__(self, con):
        self.con, self.queries = con, []

    def execute(self, sql, params=None):
        self.queries.append(sql)
        return self.con.execute(sql, params)


def test_every_metric_query_transpiles_to_spark(world_db, reader):
    from pipelines import metrics

    con = RecordingConnection(reader(world_db))
    period = metrics.Period(date(2025, 1, 1), date(2025, 12, 31))
    # every dimension chosen, so each scope fragment's parameters are bound and used
    filters = metrics.Filters(
        period,
        segments=("SMB",),
        regions=("EMEA",),
        teams=("Data & AI",),
        reps=("Rita Rep",),
        owners=("Bo Owner",),
        accounts=("0015g00000GAMM01AAA",),
    )
    metrics.data_date(con)
    metrics.filter_options(con)
    for scope in (period, filters):
        metrics.kpis(con, scope)
        for months in metrics.OUTCOME_WINDOWS:
            metrics.rebusiness_by_nps_category(con, scope, months=months)
            metrics.outcome_by_group(con, scope, months, "csat_band")
        for metric in (
            metrics.sold_vs_delivered_by_status_reports,
            metrics.monthly_trend,
            metrics.outcome_by_group,
            metrics.score_regression,
            metrics.win_win_accounts,
            metrics.earned_growth,
            metrics.delivery_vs_other_sources,
            metrics.delivery_leads_by,
            metrics.lead_sources_by_quarter,
            metrics.escalation_breakdown,
            metrics.escalation_aftermath,
            metrics.rebusiness_vs_first_time,
            metrics.sold_vs_delivered_by_rep,
            metrics.sales_governance,
            metrics.account_health,
        ):
            metric(con, scope)
        metrics.delivery_leads_by(con, scope, by="person")
        metrics.escalation_breakdown(con, scope, by="category")
    metrics.account_timeline(con, "0015g00000GAMM01AAA")
    assert len(con.queries) >= 80
    for sql in con.queries:
        sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", text)


def test_ci_runs_the_readme_test_command_exactly():
    ci_lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci_lines[-1] in readme_commands()
    assert "pytest" in ci_lines[-1]


def test_readme_run_command_serves_the_app():
    assert any(cmd.endswith("streamlit run app.py") and "requirements.txt" in cmd for cmd in readme_commands())


def test_requirements_are_pinned():
    lines = [ln for ln in (ROOT / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines and all("==" in ln for ln in lines)


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_every_drill_down_reads_a_chart_drawn_to_be_clicked(path):
    """``drill.rows_behind(event, ...)`` only lists rows when ``event`` is the click a chart
    returns, which ``exports.show_chart`` does only with ``select_key``; without it the bar
    is silently inert (tests/test_browser.py clicks one for real)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    clickable = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "attr", None) == "show_chart"
        and any(k.arg == "select_key" for k in node.value.keywords)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    drilled = [
        node.args[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "rows_behind"
    ]
    assert set(drilled) <= clickable, f"{path.name}: {sorted(set(drilled) - clickable)} drawn without select_key"


def test_ruff_finds_nothing():
    """The lint settings in pyproject.toml (line length 120, pycodestyle, pyflakes) hold for the
    whole repository; a file still listed under per-file-ignores is its owner's to clean."""
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_overview_first_render_never_imports_great_expectations(world_db):
    # GX takes seconds to import (issue 16): the Overview's first render, in a fresh process, must not pay it.
    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\n"
            "at = AppTest.from_file('app.py', default_timeout=120).run()\n"
            "assert not at.exception, at.exception\nassert at.metric, 'the Overview drew no KPI'\n"
            "print('great_expectations' in sys.modules)")
    env = {**os.environ, "WINWIN_DB": str(world_db)}
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.strip().splitlines()[-1] == "False"


def test_importing_the_app_pages_modules_leaves_the_statistics_libraries_out():
    # scipy and statsmodels are imported inside the functions that compute an interval, never at import.
    code = ("import sys\nimport pipelines.metrics, pipelines.metrics.statistics, ui.data, ui.filters\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'statsmodels', 'great_expectations'}))")
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           timeout=300)
    assert shown.stdout.strip() == "[]"


def test_the_overviews_first_view_imports_neither_statsmodels_nor_scipy_stats(demo_db, tmp_path):
    # A cold start paid half a second importing them right after the KPI tiles, while the browser
    # still fetched the tiles' frontend code from the same busy process (issue 16): the Overview's
    # intervals are computed on scipy.special's quantiles (pipelines/metrics/statistics.py).
    shutil.copy(demo_db, tmp_path / "demo.duckdb")
    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=120).run()\n"
            "assert not at.exception and len(at.metric) >= 8 and at.markdown, at.exception\n"
            "print(sorted(m for m in sys.modules if m.startswith(('statsmodels', 'scipy.stats'))))")
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "WINWIN_DB": str(tmp_path / "demo.duckdb"), "WINWIN_DEMO": "0"})
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert shown.stdout.strip().splitlines()[-1] == "[]"
