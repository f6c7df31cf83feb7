"""Benchmarks: one command, every figure measured side by side in one run.

    .venv/bin/python benchmarks/run.py [--scales 1,10] [--repeat 5]

For each demo scale: write the exports, ingest them into a fresh warehouse, then time the
queries the Overview page runs. For the largest scale it also splits one file's load into its
stages (DuckDB read + staging SQL against the GX validation), to show where ingest time goes.
Ratios compare runs of this same process, so a noisy machine moves both sides alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines import adapters, demo, metrics, validation, warehouse  # noqa: E402
from pipelines.ingest import ingest  # noqa: E402

WORK = ROOT / "benchmarks" / "work"
# The file whose stages are timed: the largest export at every scale.
STAGED_FILE = "salesforce_activities.csv"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def overview_queries(con, period) -> None:
    """What pages/overview.py asks for on a first, uncached view."""
    metrics.kpis(con, period)
    if period.previous():
        metrics.kpis(con, period.previous())
    metrics.rebusiness_by_nps_category(con, period, months=12)
    metrics.monthly_trend(con, period)


def median_seconds(action, repeat: int) -> float:
    return statistics.median(timed(action)[0] for _ in range(repeat))


def stage_split(folder: Path) -> dict[str, float]:
    """Seconds to read + stage one file with DuckDB, and to validate it with GX (pandas)."""
    layouts = adapters.load_layouts()
    with tempfile.TemporaryDirectory() as tmp:
        source = adapters.prepare(folder / STAGED_FILE, Path(tmp))
        layout = adapters.detect_layout(source, layouts)
        import duckdb

        con = duckdb.connect()
        warehouse.create_schema(con)
        read, rows = timed(lambda: adapters.land(con, source, layout))
        sql, params = adapters.staging_sql(layout, adapters.check_required(source, layout))
        stage, _ = timed(lambda: con.execute(f"CREATE TEMP TABLE staged AS {sql}", params))
        validate, _ = timed(lambda: validation.validate(con, "staged", layout.table))
        con.close()
    return {"rows": rows, "read": read, "stage": stage, "validate": validate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10", help="comma-separated demo scales (default 1,10)")
    parser.add_argument("--repeat", type=int, default=5, help="query timings: median of this many runs")
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; work folder {WORK}")
    gx_import, _ = timed(lambda: __import__("great_expectations"))  # once per process, not per scale
    print(f"importing Great Expectations: {gx_import:.1f} s (paid once per ingest process, left out below)")
    results = []
    for scale in scales:
        folder, db = WORK / f"scale{scale:g}", WORK / f"scale{scale:g}.duckdb"
        write, _ = timed(lambda: demo.write_demo(folder, scale=scale))
        load, files = timed(lambda: ingest([folder], db=db))
        rows = sum(f.rows_in for f in files)
        with warehouse.connect_readonly(db) as con:
            period = metrics.period_ending(metrics.data_date(con), 12)
            query = median_seconds(lambda: overview_queries(con, period), args.repeat)
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        results.append({"scale": scale, "rows": rows, "csv_mb": size_mb, "write": write, "ingest": load,
                        "query": query, "db_mb": db.stat().st_size / 1e6})
        print(f"scale {scale:g}: {rows:,} rows, {size_mb:,.0f} MB of CSV written in {write:.1f} s, "
              f"ingested in {load:.1f} s; Overview queries {query * 1000:.0f} ms", flush=True)

    base = results[0]
    print(f"\n| scale | rows | CSV MB | write s | ingest s | rows/s ingest | ingest time vs scale {base['scale']:g} "
          "| Overview queries ms | warehouse MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['scale']:g} | {r['rows']:,} | {r['csv_mb']:,.0f} | {r['write']:.1f} | {r['ingest']:.1f} | "
              f"{r['rows'] / r['ingest']:,.0f} | {r['ingest'] / base['ingest']:.1f}x (rows x{r['rows'] / base['rows']:.0f}) | "
              f"{r['query'] * 1000:.0f} | {r['db_mb']:,.1f} |")

    split = stage_split(WORK / f"scale{scales[-1]:g}")
    duckdb_seconds = split["read"] + split["stage"]
    print(f"\n{STAGED_FILE} at scale {scales[-1]:g} ({split['rows']:,} rows): DuckDB read {split['read']:.2f} s + "
          f"staging SQL {split['stage']:.2f} s; GX validation (with its copy to pandas) "
          f"{split['validate']:.2f} s = {split['validate'] / duckdb_seconds:.1f}x the DuckDB read and staging")
    return 0


if __name__ == "__main__":
    sys.exit(main())
