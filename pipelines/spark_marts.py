"""Build the marts on Apache Spark from a publication (pipelines/publish.py), written as Parquet.

The SQL is the same ``models/marts/*.sql`` DuckDB runs, in the same order (pipelines/marts.py),
transpiled by SQLGlot when the build runs: there is no second copy to drift. Where DuckDB and Spark
give the same SQL text different meanings, ``to_spark`` rewrites the parsed query so Spark computes
what DuckDB computes (see DUCKDB_SEMANTICS); tests/test_spark.py checks every mart and every metric
query gives the same rows on both engines.

``master`` is any Spark master URL (``local[*]``, ``spark://host:7077``, ``yarn``) or a Spark Connect
URL (``sc://host:15002``); the folders must then be paths the cluster can read and write too.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from pipelines import marts, publish

DEFAULT_MASTER = "local[*]"
MANIFEST = publish.MANIFEST
FORMAT = "winwin-spark-marts/1"
# Session settings, each for one reason:
SPARK_CONFIG = {
    # DuckDB's division by zero does not fail a build (it gives inf or NULL); Spark's ANSI mode
    # would abort it. With ANSI off Spark gives NULL.
    "spark.sql.ansi.enabled": "false",
    # Timestamps in the warehouse carry no zone; read and write them as they are.
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}
# Local mode only: a few shuffle partitions instead of 200 (the marts are small per core; a
# cluster keeps its own setting, with adaptive execution coalescing them there).
LOCAL_SHUFFLE_PARTITIONS = "4"
# DATEDIFF units whose DuckDB meaning (boundaries crossed) equals Spark's (whole units elapsed)
# between the values truncated to that unit.
TRUNCATABLE_UNITS = {"YEAR", "QUARTER", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"}
DUCKDB_SEMANTICS = """
- a / b: DuckDB divides as DOUBLE whatever the operand types; Spark keeps DECIMAL operands
  DECIMAL with at most 6 decimals (100 / 60.0 = 1.666667). Both operands are cast to DOUBLE.
- date_diff(unit, a, b): DuckDB counts unit boundaries crossed (10:00:59 -> 10:01:00 is one
  minute), Spark whole units elapsed (zero). Both values are truncated to the unit first.
- avg(x): DuckDB averages DECIMAL as DOUBLE, Spark as DECIMAL with 4 more decimals. x is cast to DOUBLE.
- ORDER BY x: DuckDB puts NULLs last, Spark first; SQLGlot writes NULLS LAST itself.
"""


def to_spark(sql: str) -> str:
    """The DuckDB query ``sql`` as Spark SQL that computes the same result (DUCKDB_SEMANTICS)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for node in list(tree.find_all(exp.DateDiff)):
        unit = node.text("unit").upper() or "DAY"
        if node.args.get("date_part_boundary") and unit in TRUNCATABLE_UNITS:
            for side in ("this", "expression"):
                node.set(side, exp.TimestampTrunc(this=node.args[side], unit=exp.var(unit)))
    for node in list(tree.find_all(exp.Div)):
        node.set("this", _double(node.this))
        node.set("expression", _double(node.expression))
    for node in list(tree.find_all(exp.Avg)):
        node.set("this", _double(node.this))
    return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)


def _double(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Div) or isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DOUBLE):
        return node  # already DOUBLE
    return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))


def session(master: str = DEFAULT_MASTER):
    """A Spark session on ``master``: a classic master URL, or Spark Connect for ``sc://``."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("win-win marts")
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    config = dict(SPARK_CONFIG)
    if master.startswith("local"):
        config["spark.sql.shuffle.partitions"] = LOCAL_SHUFFLE_PARTITIONS
        config["spark.ui.enabled"] = "false"
    for key, value in config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if not master.startswith("sc://"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def register_publication(spark, source: Path) -> dict:
    """Every published table as a temporary view named after it; returns the manifest.

    Files are listed recursively, so the ``year=`` folders are read as files, not as a column:
    the views hold exactly the warehouse's columns."""
    manifest = publish.read_manifest(source)
    for name, table in manifest["tables"].items():
        frame = spark.read.option("recursiveFileLookup", "true").parquet(str(source / table["path"]))
        frame.createOrReplaceTempView(name)
    return manifest


def build(source: Path, out: Path, master: str = DEFAULT_MASTER, spark=None) -> dict:
    """Build every mart of MART_ORDER on Spark from the publication at ``source`` into ``out``.

    Each build writes its own folder ``out/build-<id>/`` and then the manifest naming it, so a
    reader (pipelines/lakehouse.py) sees the previous build or the new one, never a mix; older
    build folders are removed afterwards. Returns the manifest.
    """
    source, out = Path(source).resolve(), Path(out).resolve()
    started = time.perf_counter()
    own_session = spark is None
    spark = spark or session(master)
    try:
        published = register_publication(spark, source)
        build_id = uuid.uuid4().hex
        folder = out / f"build-{build_id[:12]}"
        built = {}
        for name in marts.MART_ORDER:
            target = folder / name
            spark.sql(to_spark(marts.sql_of(name))).write.mode("overwrite").parquet(str(target))
            frame = spark.read.parquet(str(target))  # later marts read the written mart, as DuckDB reads its table
            frame.createOrReplaceTempView(name)
            built[name] = {"path": str(target.relative_to(out)), "rows": frame.count(),
                           "columns": {field.name: field.dataType.simpleString() for field in frame.schema.fields}}
        manifest = {
            "format": FORMAT,
            "engine": "spark",
            "spark_version": spark.version,
            "master": master,
            "build_id": build_id,
            "built_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 3),
            "source": str(source),
            "source_build_id": published["build_id"],
            "marts": built,
        }
    finally:
        if own_session:
            spark.stop()
    _finish(out, manifest, folder)
    return manifest


def build_with_duckdb(source: Path, out: Path) -> dict:
    """The same marts built by DuckDB from the same publication, written the same way: what the
    Spark build is measured against (benchmarks/spark.py), and a build that needs no Java."""
    import duckdb

    source, out = Path(source).resolve(), Path(out).resolve()
    started = time.perf_counter()
    published = publish.read_manifest(source)
    build_id = uuid.uuid4().hex
    folder = out / f"build-{build_id[:12]}"
    con = duckdb.connect(":memory:")
    try:
        for name, table in published["tables"].items():
            con.execute(f"CREATE VIEW {name} AS {publish.typed_select(source / table['path'], table['columns'])}")
        built = {}
        for name in marts.MART_ORDER:
            con.execute(f"CREATE TABLE {name} AS {marts.sql_of(name)}")
            (folder / name).mkdir(parents=True)
            path = str(folder / name / "part-0.parquet").replace("'", "''")
            con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
            built[name] = {"path": str((folder / name).relative_to(out)),
                           "rows": con.execute(f"SELECT count(*) FROM {name}").fetchone()[0],
                           "columns": dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {name})")
                                           .fetchall())}
        version = duckdb.__version__
    finally:
        con.close()
    manifest = {"format": FORMAT, "engine": "duckdb", "duckdb_version": version, "build_id": build_id,
                "built_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
                "seconds": round(time.perf_counter() - started, 3), "source": str(source),
                "source_build_id": published["build_id"], "marts": built}
    _finish(out, manifest, folder)
    return manifest


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(
            f"{folder}: no {MANIFEST}; build the marts first: "
            f"python -m pipelines marts --engine spark --from DIR --out {folder}")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: format {manifest.get('format')!r}, this version reads {FORMAT!r}")
    return manifest


def _finish(out: Path, manifest: dict, folder: Path) -> None:
    """Name the new build in the manifest (one atomic rename), then remove the older builds."""
    work = out / f".{MANIFEST}.{os.getpid()}"
    work.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(work, out / MANIFEST)
    for stale in out.glob("build-*"):
        if stale.name != folder.name:
            shutil.rmtree(stale, ignore_errors=True)
