"""python -m benchmarks [--scales 1,10,100,400]: every figure of RESULTS.md, measured in one run.

For each demo scale, in a work folder: write the demo exports, then side by side
- ingest + validate + build (`python -m pipelines ingest`), the DuckDB floor
  (benchmarks/floor.py) and the pandas notebook (benchmarks/pandas_notebook.py), each in its
  own process: wall time and peak memory;
- every page's queries without the app's cache (benchmarks/pages.py), median of --repeat runs;
- incremental ingest of a new 10,000-row survey file into that scale's warehouse (median of --repeat loads);
- app cold start to the first Overview KPI in headless chromium, alternately with a bare Streamlit
  page, the same page importing pandas and DuckDB (the stack's own start) and that page drawing the
  Overview's first view with constant values (the layout's own cost).
- at --spark-scales (10 and 100), the mart build on Spark local against DuckDB (benchmarks/spark.py,
  written to SPARK.md beside RESULTS.md).
Ratios are taken between figures of this one run, so a loaded machine moves both sides alike.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import cold_start, incremental, pages, report, spark
from benchmarks.measure import ROOT, measured, python
from pipelines import adapters, demo, marts, validation, warehouse

DEFAULT_SCALES = "1,10,100,400"
DEFAULT_OUT = ROOT / "benchmarks" / "RESULTS.md"
# The pandas notebook may need more memory than the machine has at scale 400; past this it
# fails on its own (MemoryError) instead of the kernel killing other processes. 24 GB machine.
PANDAS_MEMORY_LIMIT_GB = 20
# The export whose load is split into stages at the largest scale: the largest file.
STAGED_FILE = "salesforce_activities.csv"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def stage_split(folder: Path) -> dict[str, float]:
    """Seconds to import GX, then to read, stage and validate one file, in this process."""
    import duckdb

    gx_import, _ = timed(lambda: __import__("great_expectations"))

    layouts = adapters.load_layouts()
    with tempfile.TemporaryDirectory() as tmp:
        source = adapters.prepare(folder / STAGED_FILE, Path(tmp))
        layout = adapters.detect_layout(source, layouts)
        con = duckdb.connect()
        warehouse.create_schema(con)
        read, rows = timed(lambda: adapters.land(con, source, layout))
        sql, params = adapters.staging_sql(layout, adapters.check_required(source, layout))
        stage, _ = timed(lambda: con.execute(f"CREATE TEMP TABLE staged AS {sql}", params))
        validate, _ = timed(lambda: validation.validate(con, "staged", layout.table))
        con.close()
    return {"file": STAGED_FILE, "rows": rows, "gx_import": gx_import, "read": read, "stage": stage, "validate": validate}


def mart_split(db: Path, work: Path) -> list[dict]:
    """Each mart's build on a copy of the largest scale's warehouse, in MART_ORDER, on the connection
    a build opens: wall seconds and CPU seconds of every thread, in this process."""
    import resource

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    copy = work / "mart_split.duckdb"
    shutil.copyfile(db, copy)
    con = warehouse.connect_for_build(copy)
    built = []
    try:
        for name in marts.MART_ORDER:
            wall, cpu_before = time.perf_counter(), cpu()
            con.execute(f"CREATE OR REPLACE TABLE {name} AS {marts.sql_of(name)}")
            built.append({"mart": name, "seconds": time.perf_counter() - wall, "cpu_seconds": cpu() - cpu_before,
                          "rows": con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]})
    finally:
        con.close()
        copy.unlink(missing_ok=True)
    return built


def load_log(db: Path) -> list[dict]:
    """Seconds per file as the ingest itself logged them (the rest is imports, checks, marts, swap)."""
    with warehouse.connect_readonly(db) as con:
        rows = con.execute("SELECT file_name, rows_in, seconds FROM load_log ORDER BY loaded_at, file_name").fetchall()
    return [{"file": f, "rows": r, "seconds": s} for f, r, s in rows]


def bench_scale(scale: float, work: Path, args, browser) -> dict:
    folder, db = work / f"scale{scale:g}", work / f"scale{scale:g}.duckdb"
    logs = work / "logs"
    db.unlink(missing_ok=True)  # a kept work folder: build afresh (the same bytes would be skipped)
    write, _ = timed(lambda: demo.write_demo(folder, scale=scale))
    csv_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    print(f"scale {scale:g}: {csv_mb:,.0f} MB of CSV written in {write:.1f} s", flush=True)

    ours = measured(python("-m", "pipelines", "ingest", str(folder), "--db", str(db)), logs / f"ingest-{scale:g}.log")
    if not ours.ok:
        raise RuntimeError(f"ingest failed at scale {scale:g}:\n{ours.output[-3000:]}")
    floor_db = work / f"floor{scale:g}.duckdb"
    floor = measured(python("-m", "benchmarks.floor", str(folder), str(floor_db)), logs / f"floor-{scale:g}.log")
    floor_db.unlink(missing_ok=True)
    notebook = measured(python("-m", "benchmarks.pandas_notebook", str(folder)), logs / f"pandas-{scale:g}.log",
                        memory_limit_gb=args.pandas_memory_limit_gb)
    files = load_log(db)
    print(f"  ingest {ours.seconds:.1f} s / {ours.peak_mb:,.0f} MB; floor {floor.seconds:.1f} s / {floor.peak_mb:,.0f} MB; "
          f"pandas {notebook.seconds:.1f} s / {notebook.peak_mb:,.0f} MB" + ("" if notebook.ok else " (failed)"), flush=True)

    with warehouse.connect_readonly(db) as con:
        page_timings = pages.time_pages(con, args.repeat)
    print("  pages: " + ", ".join(f"{t.page} {t.seconds * 1000:.0f} ms" for t in page_timings), flush=True)

    new_file = incremental.write_new_survey_file(folder, work / f"new_survey_{scale:g}.csv")
    inc_db = work / f"incremental{scale:g}.duckdb"
    loads = []
    for run in range(args.repeat):  # one load of a few seconds: its median, not one draw of the machine's noise
        shutil.copyfile(db, inc_db)
        os.sync()  # the copy's 1 GB of unwritten pages are this set-up's, not the measured ingest's to flush
        loads.append(measured(python("-m", "pipelines", "ingest", str(new_file), "--db", str(inc_db)),
                              logs / f"incremental-{scale:g}-{run + 1}.log"))
        inc_db.unlink(missing_ok=True)
    added = sorted(loads, key=lambda load: load.seconds)[len(loads) // 2]
    print(f"  incremental ingest of {incremental.NEW_SURVEY_ROWS:,} answers: {added.seconds:.1f} s (runs: "
          f"{', '.join(f'{load.seconds:.1f}' for load in loads)})", flush=True)

    cold = {name: statistics.median(runs) for name, runs in
            cold_start.side_by_side(browser, db, work, logs, args.cold_repeat).items()} if browser else {}
    if cold:
        print(f"  cold start: app {cold['app']:.1f} s, bare page {cold['bare']:.1f} s, stack page {cold['stack']:.1f} s, "
              f"layout page {cold['layout']:.1f} s", flush=True)
    return {"scale": scale, "rows": sum(f["rows"] for f in files), "csv_mb": csv_mb, "write": write,
            "db_mb": db.stat().st_size / 1e6, "ours": ours, "floor": floor, "pandas": notebook, "files": files,
            "pages": page_timings, "incremental": added, "incremental_runs": [load.seconds for load in loads], "cold": cold}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default=DEFAULT_SCALES, help=f"comma-separated demo scales (default {DEFAULT_SCALES})")
    parser.add_argument("--repeat", type=int, default=5, help="page queries: median of this many runs (default 5)")
    parser.add_argument("--cold-repeat", type=int, default=3, help="cold starts: median of this many (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results file (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--work", type=Path, help="work folder, kept afterwards (default: a temporary one, removed)")
    parser.add_argument("--pandas-memory-limit-gb", type=float, default=PANDAS_MEMORY_LIMIT_GB,
                        help=f"address-space cap of the pandas process (default {PANDAS_MEMORY_LIMIT_GB})")
    parser.add_argument("--spark-scales", default=spark.DEFAULT_SCALES,
                        help="of --scales, those where the mart build is also run on Spark local against DuckDB "
                             f"(benchmarks/spark.py, written to benchmarks/SPARK.md; default {spark.DEFAULT_SCALES}; '' for none)")
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.scales.split(",")]
    started = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="winwin-bench-") as tmp:
        work = args.work or Path(tmp)
        (work / "logs").mkdir(parents=True, exist_ok=True)
        print(f"{platform.node()}: work folder {work}", flush=True)
        with cold_start.Browser() as browser:
            results = [bench_scale(scale, work, args, browser) for scale in scales]
        split = stage_split(work / f"scale{scales[-1]:g}") | {"marts": mart_split(work / f"scale{scales[-1]:g}.duckdb", work)}
        on_spark = [s for s in scales if f"{s:g}" in args.spark_scales.split(",")]
        if on_spark:
            spark.run(on_spark, work, args.out.parent / spark.DEFAULT_OUT.name, "python -m benchmarks")
        with (work / "results.pickle").open("wb") as raw:  # the figures, should rendering them fail
            pickle.dump({"results": results, "split": split, "started": started}, raw)
    text = report.render(results, split, started,
                         " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
