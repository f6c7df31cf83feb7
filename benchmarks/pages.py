"""Every page's queries, read from the pages themselves, timed without the app's cache.

A page asks for its figures with ``data.query(module.function, *args)`` (ui/data.py). The
calls are found in pages/*.py with ``ast``, so a page added or changed is measured as it
stands, with no list here to keep in step. Each call runs on a plain read-only connection (no
``st.cache_data``): what a first, uncached view of the page costs in queries. Arguments
are rebuilt from the function's signature: a ``Period`` parameter gets the Overview's default
period (the last 12 months of data) and no other filter, literal arguments in the page are used
as written, everything else (a widget's value) keeps the function's default. A call inside a
helper function the page calls twice is timed once; one inside a lambda runs on a click (a
drill-down's rows, ui/drill.py), not on the first view, and is not timed. ``EXTRA_QUERIES`` adds
calls a page makes another way.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from pipelines import metrics

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "pages"
# A page whose queries take longer than this in all is run fewer times than asked (at least
# once): at scale 400 one slow page would otherwise hold the whole benchmark for many minutes.
PAGE_BUDGET_S = 30
# A single query past this is interrupted and reported as "over" it: the target is 0.3 s.
QUERY_TIMEOUT_S = 60
# Values for required arguments a page takes from a widget (no default to fall back on): the
# account page shows one account; the one with the most deals is the slowest to show.
SAMPLE_ARGUMENTS = {
    "account_id": lambda con: con.execute(
        "SELECT account_id FROM fct_opportunity GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchall()[0][0],
}
# Calls a page makes outside data.query, per page file stem: (module, function, kwargs).
EXTRA_QUERIES: dict[str, list[tuple[str, str, dict]]] = {
    # ui/data.has_data(), which the Overview calls first, reads the data date.
    "overview": [("pipelines.metrics", "data_date", {})],
}


@dataclass
class Call:
    module: str
    function: str
    kwargs: dict = field(default_factory=dict)
    positional: dict = field(default_factory=dict)  # argument index (after the connection) -> literal value

    @property
    def name(self) -> str:
        return f"{self.module.rsplit('.', 1)[-1]}.{self.function}"

    def resolve(self) -> Callable | None:
        """The function, or None while the module does not define it yet (another page's work in progress)."""
        return getattr(importlib.import_module(self.module), self.function, None)


def _imported_modules(tree: ast.Module) -> dict[str, str]:
    """Local name -> module, for ``from pipelines import metrics`` and ``import pipelines.status as status``."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.rsplit(".", 1)[-1]] = alias.name
    return names


def calls_of(page: Path) -> list[Call]:
    """The ``data.query(module.function, ...)`` calls of one page, in source order."""
    tree = ast.parse(page.read_text(encoding="utf-8"))
    modules = _imported_modules(tree)
    calls = [Call(m, f, k) for m, f, k in EXTRA_QUERIES.get(page.stem, [])]
    on_click = {id(n) for lam in ast.walk(tree) if isinstance(lam, ast.Lambda) for n in ast.walk(lam.body)}
    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call) and id(n) not in on_click),
                       key=lambda n: (n.lineno, n.col_offset)):
        target = node.func
        if not (isinstance(target, ast.Attribute) and target.attr == "query" and node.args):
            continue
        function = node.args[0]
        if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name) and function.value.id in modules:
            kwargs = {k.arg: k.value.value for k in node.keywords if k.arg and isinstance(k.value, ast.Constant)}
            positional = {i: a.value for i, a in enumerate(node.args[1:]) if isinstance(a, ast.Constant)}
            calls.append(Call(modules[function.value.id], function.attr, kwargs, positional))
    return calls


def page_calls() -> dict[str, list[Call]]:
    """Page name -> its query calls, for every page in pages/ that makes any."""
    found = {page.stem: calls_of(page) for page in sorted(PAGES.glob("*.py"))}
    return {name: calls for name, calls in found.items() if calls}


def _scope(period: metrics.Period):
    """What a page passes for its filters: the sidebar's Filters (all values) with the period, or the Period."""
    filters = getattr(metrics, "Filters", None)
    return filters.of(period) if filters else period


def run(con, call: Call, period: metrics.Period):
    return call.resolve()(con, **arguments(con, call, period))


def arguments(con, call: Call, period: metrics.Period) -> dict:
    """The call's arguments after the connection (see the module docstring). A SAMPLE_ARGUMENTS
    value is picked here, before the timing starts: picking the account with the most deals scans
    every deal (~60-90 ms at scale 400), which is no part of the page's view of that account."""
    function = call.resolve()
    params = list(inspect.signature(function).parameters.values())[1:]  # the first is the connection
    args = {params[i].name: value for i, value in call.positional.items() if i < len(params)}
    args.update(call.kwargs)
    for p in params:
        if p.name in args:
            continue
        if any(kind in str(p.annotation) for kind in ("Period", "Filters")):
            args[p.name] = _scope(period)
        elif p.default is inspect.Parameter.empty and p.name in SAMPLE_ARGUMENTS:
            args[p.name] = SAMPLE_ARGUMENTS[p.name](con)
    return args


@dataclass
class PageTiming:
    page: str
    seconds: float  # median over the runs of all the page's queries in sequence
    queries: dict[str, float]  # query -> median seconds (one entry per call; repeats get #2, #3)
    missing: list[str]  # calls that could not be timed: the function does not exist (yet) or failed, and why
    runs: int = 0  # how many runs the median is of (fewer than asked when the page is slow, see PAGE_BUDGET_S)
    timed_out: bool = False  # a query ran past QUERY_TIMEOUT_S and was interrupted: seconds is a lower bound


def _timed_call(con, call: Call, period) -> float:
    """Seconds for one call; interrupted (DuckDB ``interrupt``) past QUERY_TIMEOUT_S."""
    function, args = call.resolve(), arguments(con, call, period)
    timer = threading.Timer(QUERY_TIMEOUT_S, con.interrupt)
    timer.start()
    started = time.perf_counter()
    try:
        function(con, **args)
    finally:
        timer.cancel()
    return time.perf_counter() - started


def time_pages(con, repeat: int) -> list[PageTiming]:
    """Median of up to ``repeat`` runs of each page's queries on ``con`` (a read-only warehouse connection).

    The first run of the first page also pays the imports a first call makes once per app
    process (scipy, statsmodels); the median of several runs leaves them out. A call that
    fails is reported and left out of its page's total (pages change while we measure).
    """
    # The period a page opens on: the sidebar's default (the last 12 months, ending on the data date).
    period = metrics.period_of(metrics.DEFAULT_PERIOD, metrics.data_date(con) or metrics.LATEST)
    failed: dict[str, str] = {}
    timings = []
    for page, calls in page_calls().items():
        for call in calls:
            if not call.resolve():
                failed[call.name] = "not defined"
        names = [call.name for call in calls]
        labels = [name if i == names.index(name) else f"{name} #{names[:i].count(name) + 1}" for i, name in enumerate(names)]
        runs: dict[str, list[float]] = {label: [] for label in labels}
        totals, timed_out, started = [], False, time.perf_counter()
        while len(totals) < repeat and not timed_out and (not totals or time.perf_counter() - started < PAGE_BUDGET_S):
            total = 0.0
            for label, call in zip(labels, calls):
                if call.name in failed:
                    continue
                try:
                    elapsed = _timed_call(con, call, period)
                except duckdb.InterruptException:
                    elapsed, timed_out = QUERY_TIMEOUT_S, True
                except Exception as exc:  # noqa: BLE001 (another team's query failing is a finding, not a crash)
                    failed[call.name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
                    continue
                runs[label].append(elapsed)
                total += elapsed
            totals.append(total)
        timings.append(PageTiming(page, statistics.median(totals), {k: statistics.median(v) for k, v in runs.items() if v},
                                  sorted({f"{c.name} ({failed[c.name]})" for c in calls if c.name in failed}),
                                  len(totals), timed_out))
    return timings
