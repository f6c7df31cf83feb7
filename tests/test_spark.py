"""The marts and the pages' metric queries give the same answers on Spark as on DuckDB (issue 19).

On both fixture worlds (the hand-made world and the scale-1 demo) the warehouse is published as
Parquet and its marts built again on PySpark in local mode from the same SQL (transpiled by
SQLGlot at run time), then:
- every mart equals DuckDB's, row for row (values to 1e-9, and the schema pages see);
- every query the pages run (found in pages/*.py, as benchmarks/pages.py finds them), with no
  filter and with every sidebar filter chosen, returns the same frame on Spark SQL as on DuckDB
  (on the demo world);
- every page's metric function returns the same frame read from the Spark-built marts (DuckDB
  over their Parquet, pipelines/lakehouse.py) as from the warehouse, and `metrics --json` the
  same JSON.
Spark needs Java: without it these tests skip, unless WINWIN_SPARK_TESTS=required (CI sets it).
"""

from __future__ import annotations

import decimal
import json
import math
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import pages as page_queries
from pipelines import lakehouse, marts, metrics, publish, spark_marts, warehouse
from pipelines.__main__ import main as cli
from tests.conftest import ROOT, run_app

# Agreement asked of every figure (issue 19): relative, and absolute near zero.
TOLERANCE = 1e-9
WORLDS = ["world_db", "demo_db"]
# Local mode on two cores: CI's machine (and a laptop) runs the JVM beside pytest.
MASTER = "local[2]"
# Spark queries sent at once: a tiny query's time is mostly the driver's planning, which overlaps
# across threads (88 queries: 61 s one by one, 22 s four at a time, on a busy two-core machine).
SPARK_QUERY_THREADS = 4


def _spark_unavailable() -> str | None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs Java (apt-get install openjdk-17-jre-headless)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -r requirements.txt)"
    return None


@pytest.fixture(scope="module")
def spark():
    reason = _spark_unavailable()
    if reason:
        if os.environ.get("WINWIN_SPARK_TESTS") == "required":
            pytest.fail(f"WINWIN_SPARK_TESTS=required but {reason}")
        pytest.skip(reason)
    session = spark_marts.session(MASTER)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def built(request, spark, tmp_path_factory) -> dict[str, dict]:
    """World fixture name -> its warehouse, publication, Spark-built marts and their DuckDB catalog."""
    worlds = {}
    for world in WORLDS:
        db = request.getfixturevalue(world)
        folder = tmp_path_factory.mktemp(f"spark-{world}")
        publish.publish(db, folder / "published")
        spark_marts.build(folder / "published", folder / "marts", spark=spark)
        worlds[world] = {"db": db, "published": folder / "published", "marts": folder / "marts",
                         "catalog": lakehouse.catalog(folder / "marts")}
    return worlds


# -- the publication (no Spark needed) ------------------------------------------------------


def test_publish_writes_every_table_with_its_rows_types_and_lineage(world_db, tmp_path, reader):
    manifest = publish.publish(world_db, tmp_path / "out")
    con = reader(world_db)
    assert manifest["build_id"] == con.execute("SELECT build_id FROM build_info").fetchone()[0]
    for table, entry in manifest["tables"].items():
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        back = con.execute(f"SELECT count(*) FROM ({publish.typed_select(tmp_path / 'out' / entry['path'], entry['columns'])})")
        assert entry["rows"] == rows == back.fetchone()[0], table
        if table in warehouse.CANONICAL_COLUMNS:
            assert set(warehouse.LINEAGE_COLUMNS) <= set(entry["columns"]), table


def test_publish_splits_fact_tables_by_year(world_db, tmp_path):
    manifest = publish.publish(world_db, tmp_path / "out")
    years = sorted(p.name for p in (tmp_path / "out" / "fct_activity").iterdir())
    assert years == ["year=2025", "year=2026"]
    assert manifest["tables"]["fct_activity"]["partitioned_by"] == {"year": "activity_date"}
    assert manifest["tables"]["dim_account"]["partitioned_by"] is None


def test_publish_replaces_the_folder_whole(world_db, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stale.parquet").write_text("left from before")
    publish.publish(world_db, tmp_path / "out")
    assert not (tmp_path / "out" / "stale.parquet").exists()
    assert not list(tmp_path.glob(".out.*"))


@pytest.mark.parametrize("duckdb_sql,spark_sql", [
    ("SELECT a / b FROM t", "SELECT CAST(a AS DOUBLE) / CAST(b AS DOUBLE) FROM t"),
    ("SELECT avg(x) FROM t", "SELECT AVG(CAST(x AS DOUBLE)) FROM t"),
    ("SELECT date_diff('minute', a, b) FROM t",
     "SELECT DATEDIFF(MINUTE, DATE_TRUNC('MINUTE', a), DATE_TRUNC('MINUTE', b)) FROM t"),
    ("SELECT x FROM t ORDER BY x", "SELECT x FROM t ORDER BY x NULLS LAST"),
])
def test_transpiled_sql_keeps_duckdb_meaning(duckdb_sql, spark_sql):
    assert spark_marts.to_spark(duckdb_sql) == spark_sql


# -- the marts -------------------------------------------------------------------------------


@pytest.mark.parametrize("world", WORLDS)
@pytest.mark.parametrize("mart", marts.MART_ORDER)
def test_spark_mart_equals_duckdb_row_for_row(built, world, mart, reader):
    theirs, ours = reader(built[world]["db"]), reader(built[world]["catalog"])
    expected = theirs.execute(f"SELECT * FROM {mart} ORDER BY ALL").df()
    got = ours.execute(f"SELECT * FROM {mart} ORDER BY ALL").df()
    assert len(expected) > 0 or world == "world_db"
    assert ours.execute(f"DESCRIBE {mart}").fetchall() == theirs.execute(f"DESCRIBE {mart}").fetchall()
    pd.testing.assert_frame_equal(got, expected, rtol=TOLERANCE, atol=TOLERANCE)


@pytest.mark.parametrize("world", WORLDS)
def test_spark_manifest_counts_the_rows_it_wrote(built, world, reader):
    manifest = spark_marts.read_manifest(built[world]["marts"])
    con = reader(built[world]["db"])
    assert manifest["engine"] == "spark" and list(manifest["marts"]) == marts.MART_ORDER
    for mart, entry in manifest["marts"].items():
        assert entry["rows"] == con.execute(f"SELECT count(*) FROM {mart}").fetchone()[0], mart


# -- the pages' queries ----------------------------------------------------------------------


class RecordingConnection:
    """Passes queries to DuckDB and keeps them with their parameters (the pages' metric functions
    only call ``execute``), as tests/test_structure.py records them."""

    def __init__(self, con):
        self.con, self.queries = con, []

    def execute(self, sql, params=None):
        self.queries.append((sql, list(params or [])))
        return self.con.execute(sql, params)


def page_scopes(con) -> list:
    """The pages' default scope (the last 12 months, no filter) and one with every dimension chosen
    (values that exist, so each scope fragment's parameters are bound and select rows)."""
    period = metrics.period_ending(metrics.data_date(con) or metrics.LATEST, 12)
    pick = {name: con.execute(sql).fetchone() for name, sql in {
        "segments": "SELECT segment FROM dim_account WHERE segment IS NOT NULL ORDER BY 1 LIMIT 1",
        "regions": "SELECT region FROM dim_account WHERE region IS NOT NULL ORDER BY 1 LIMIT 1",
        "owners": "SELECT owner FROM dim_account WHERE owner IS NOT NULL ORDER BY 1 LIMIT 1",
        "teams": "SELECT delivery_team FROM fct_project WHERE delivery_team IS NOT NULL ORDER BY 1 LIMIT 1",
        "reps": "SELECT owner FROM fct_opportunity WHERE owner IS NOT NULL ORDER BY 1 LIMIT 1",
    }.items()}
    chosen = {name: (row[0],) for name, row in pick.items() if row}
    return [period, metrics.Filters(period, **chosen)]


def page_calls() -> list[tuple[str, page_queries.Call]]:
    return [(page, call) for page, calls in page_queries.page_calls().items() for call in calls if call.resolve()]


def run_page_queries(con) -> list[tuple[str, object]]:
    """(label, result) of every page's metric call on ``con``, in each scope of page_scopes."""
    results = []
    for number, scope in enumerate(page_scopes(con)):
        for page, call in page_calls():
            try:
                result = page_queries.run(con, call, scope)
            except Exception as exc:  # noqa: BLE001 (a metric that fails must fail alike on both builds)
                result = f"raised {type(exc).__name__}: {exc}"
            results.append((f"{page}: {call.name} (scope {number})", result))
    return results


# The pages send the same SQL texts on both worlds; the demo's rows reach every branch of them,
# and each query costs Spark ~0.4 s of planning whatever the world, so one world is asked (CI time).
@pytest.mark.parametrize("world", ["demo_db"])
def test_every_page_query_returns_the_same_frame_on_spark(built, world, spark, reader):
    recorder = RecordingConnection(reader(built[world]["db"]))
    run_page_queries(recorder)
    queries = list(dict.fromkeys((sql, repr(params)) for sql, params in recorder.queries))
    params_of = {(sql, repr(params)): params for sql, params in recorder.queries}
    assert len(queries) >= 40
    _register_spark_views(spark, built[world])
    duck = reader(built[world]["db"])

    def on_spark(key):
        frame = spark.sql(spark_marts.to_spark(key[0]), args=[_spark_parameter(value) for value in params_of[key]])
        return _canonical_rows([tuple(row) for row in frame.collect()])

    with ThreadPoolExecutor(SPARK_QUERY_THREADS) as pool:
        answers = list(pool.map(on_spark, queries))
    mismatches = []
    for key, got in zip(queries, answers):
        sql, params = key[0], params_of[key]
        expected = _canonical_rows(duck.execute(sql, params).fetchall())
        if not _same_rows(got, expected):
            mismatches.append(f"{sql}\nparams {params}\nDuckDB {expected[:5]}\nSpark  {got[:5]}")
    assert not mismatches, f"{len(mismatches)} of {len(queries)} queries differ:\n\n" + "\n\n".join(mismatches[:5])


@pytest.mark.parametrize("world", WORLDS)
def test_every_page_metric_is_the_same_read_from_spark_built_marts(built, world, reader):
    expected = run_page_queries(reader(built[world]["db"]))
    got = run_page_queries(reader(built[world]["catalog"]))
    assert [label for label, _ in got] == [label for label, _ in expected]
    for (label, ours), (_, theirs) in zip(got, expected):
        _assert_same(ours, theirs, label)


def test_metrics_json_is_the_same_from_spark_built_marts(built, capsys):
    world = built["demo_db"]
    assert cli(["metrics", "--json", "--db", str(world["db"])]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert cli(["metrics", "--json", "--engine", "spark", "--from", str(world["marts"])]) == 0
    got = json.loads(capsys.readouterr().out)
    _assert_same(got, expected, "metrics --json")


def test_winwin_marts_points_readers_at_the_spark_built_marts(built, monkeypatch):
    monkeypatch.setenv("WINWIN_MARTS", str(built["world_db"]["marts"]))
    assert warehouse.db_path() == built["world_db"]["catalog"]
    assert warehouse.db_path("elsewhere.duckdb").name == "elsewhere.duckdb"  # --db still wins


def test_the_dashboard_shows_the_spark_built_marts(built, monkeypatch):
    """Every page renders on WINWIN_MARTS and shows the figures it shows on the warehouse."""
    shown = {}
    for source in ("warehouse", "spark"):
        if source == "spark":
            monkeypatch.setenv("WINWIN_MARTS", str(built["world_db"]["marts"]))
        overview = run_app(monkeypatch, built["world_db"]["db"], {"period": "All time"})
        assert not overview.exception, source
        shown[source] = [(m.label, m.value) for m in overview.metric]
        for page in sorted((ROOT / "pages").glob("*.py")):
            at = overview.switch_page(f"pages/{page.name}").run()
            assert not at.exception, (source, page.name)
            shown[source] += [(page.name, m.label, m.value) for m in at.metric]
    assert shown["spark"] == shown["warehouse"] and len(shown["warehouse"]) > 5


# -- helpers ---------------------------------------------------------------------------------


def _register_spark_views(spark, world: dict) -> None:
    """The published tables and the Spark-built marts as the views the queries name."""
    spark_marts.register_publication(spark, world["published"])
    manifest = spark_marts.read_manifest(world["marts"])
    for name, entry in manifest["marts"].items():
        spark.read.parquet(str(world["marts"] / entry["path"])).createOrReplaceTempView(name)


def _spark_parameter(value):
    """A DuckDB query parameter as a Spark SQL argument (a list becomes an array literal)."""
    from pyspark.sql import functions as F

    if isinstance(value, (list, tuple)):
        return F.array(*[F.lit(v) for v in value]) if value else F.array().cast("array<string>")
    return value


def _canonical(value):
    """One value as both engines' drivers may hand it back: numbers as float, times as datetime."""
    if isinstance(value, (decimal.Decimal, int, float)) and not isinstance(value, bool):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    return value


def _canonical_rows(rows: list[tuple]) -> list[tuple]:
    return [tuple(_canonical(v) for v in row) for row in rows]


def _same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE) or (math.isinf(a) and a == b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    return a == b


def _same_rows(got: list[tuple], expected: list[tuple]) -> bool:
    """Row for row in the order the query gave; rows tied on its ORDER BY may come in either order,
    so a frame in another order still matches when the same rows are in it."""
    def matches(x, y):
        return len(x) == len(y) and all(_same_row(a, b) for a, b in zip(x, y))
    return matches(got, expected) or matches(sorted(got, key=repr), sorted(expected, key=repr))


def _same_row(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), ignore_index=True, key=lambda column: column.astype(str))


def _assert_same(got, expected, label: str) -> None:
    """Frames (and dicts, lists, numbers) equal to TOLERANCE, whatever holds them."""
    if isinstance(expected, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(got, expected, rtol=TOLERANCE, atol=TOLERANCE, obj=label)
        except AssertionError:  # rows tied on the metric's ORDER BY may come in either order
            pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), rtol=TOLERANCE, atol=TOLERANCE, obj=label)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(got, expected, rtol=TOLERANCE, atol=TOLERANCE, obj=label)
    elif isinstance(expected, dict):
        assert got.keys() == expected.keys(), label
        for key in expected:
            _assert_same(got[key], expected[key], f"{label}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected), label
        try:
            for i, (a, b) in enumerate(zip(got, expected)):
                _assert_same(a, b, f"{label}[{i}]")
        except AssertionError:  # items tied on the query's ORDER BY may come in either order
            for i, (a, b) in enumerate(zip(sorted(got, key=repr), sorted(expected, key=repr))):
                _assert_same(a, b, f"{label} (sorted)[{i}]")
    elif hasattr(expected, "__dataclass_fields__"):
        _assert_same(vars(got), vars(expected), label)
    else:
        assert _same_value(_canonical(got), _canonical(expected)), f"{label}: {got!r} != {expected!r}"
