"""python -m benchmarks.spark [--scales 10,100]: the mart build on Spark (local mode) against DuckDB.

For each demo scale, in a work folder: write the demo exports and ingest them, publish the
warehouse as Parquet (`python -m pipelines publish`), then build the marts from that same
publication with each engine (`python -m pipelines marts --engine duckdb|spark`), each in its own
process, one after the other: wall time and the peak memory of the whole process tree (Python
and, for Spark, its JVM: the JVM is a child process, so a peak of the Python process alone would
leave it out). Both builds read the same Parquet and write Parquet, so only the engine differs.
The build's own seconds (its manifest, from session start to the last mart written) are shown
beside the wall time, which also pays the interpreter and, for Spark, the JVM start.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.measure import ROOT, python

DEFAULT_SCALES = "10,100"
DEFAULT_OUT = ROOT / "benchmarks" / "SPARK.md"
# How often the process tree's memory is sampled; a shorter peak can be missed.
SAMPLE_SECONDS = 0.05
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Build:
    engine: str
    seconds: float  # wall time of the whole command
    build_seconds: float  # the build's own time, from its manifest
    peak_mb: float  # peak resident memory of the command's process tree
    rows: int  # rows in all marts written
    ok: bool
    output: str


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and every process under it, in MB (read from /proc)."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_SIZE
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1e6


def measured_tree(command: list[str], log: Path) -> tuple[float, float, int]:
    """Run ``command``; its wall seconds, the peak memory of its process tree (MB), its exit code."""
    peak = 0.0
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_mb(child.pid))
                time.sleep(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = child.wait()
        done.set()
        sampler.join()
    return time.perf_counter() - started, peak, code


def build_marts(engine: str, published: Path, out: Path, log: Path, master: str) -> Build:
    command = python("-m", "pipelines", "marts", "--engine", engine, "--from", str(published), "--out", str(out))
    if engine == "spark":
        command += ["--master", master]
    seconds, peak, code = measured_tree(command, log)
    manifest = json.loads((out / "manifest.json").read_text()) if code == 0 else {}
    return Build(engine, seconds, manifest.get("seconds", float("nan")), peak,
                 sum(m["rows"] for m in manifest.get("marts", {}).values()), code == 0, log.read_text(errors="replace"))


def bench_scale(scale: float, work: Path, master: str) -> dict:
    folder, db, logs = work / f"scale{scale:g}", work / f"scale{scale:g}.duckdb", work / "logs"
    if not db.exists():  # a kept work folder reuses its warehouse
        subprocess.run(python("-m", "pipelines", "demo", "--out", str(folder), "--scale", f"{scale:g}", "--ingest",
                              "--db", str(db)), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    published = work / f"published{scale:g}"
    subprocess.run(python("-m", "pipelines", "publish", "--db", str(db), "--out", str(published)),
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    manifest = json.loads((published / "manifest.json").read_text())
    builds = [build_marts(engine, published, work / f"marts-{engine}-{scale:g}", logs / f"marts-{engine}-{scale:g}.log",
                          master) for engine in ("duckdb", "spark")]
    for build in builds:
        if not build.ok:
            raise RuntimeError(f"{build.engine} build failed at scale {scale:g}:\n{build.output[-3000:]}")
        print(f"scale {scale:g}: {build.engine} {build.seconds:.1f} s (build {build.build_seconds:.1f} s), "
              f"{build.peak_mb:,.0f} MB peak", flush=True)
    parquet_mb = sum(p.stat().st_size for p in published.rglob("*.parquet")) / 1e6
    return {"scale": scale, "rows": sum(t["rows"] for t in manifest["tables"].values()), "parquet_mb": parquet_mb,
            "builds": builds}


def render(results: list[dict], started: datetime, command: str, master: str) -> str:
    lines = [
        "# Mart build: Spark local mode against DuckDB",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores) by `{command}`; "
        f"Spark master `{master}`. Both engines build the same marts from the same published Parquet and write "
        "Parquet. Wall = the whole command (interpreter, JVM start for Spark); build = from session start to the "
        "last mart written (its manifest); peak = resident memory of the command's process tree.",
        "",
        "| scale | canonical rows | Parquet MB | mart rows | DuckDB wall s | DuckDB build s | DuckDB peak MB "
        "| Spark wall s | Spark build s | Spark peak MB | Spark / DuckDB time | Spark / DuckDB memory |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        duck, spark = r["builds"]
        lines.append(
            f"| {r['scale']:g} | {r['rows']:,} | {r['parquet_mb']:,.1f} | {duck.rows:,} | {duck.seconds:.1f} | "
            f"{duck.build_seconds:.1f} | {duck.peak_mb:,.0f} | {spark.seconds:.1f} | {spark.build_seconds:.1f} | "
            f"{spark.peak_mb:,.0f} | {spark.seconds / duck.seconds:.1f}x | {spark.peak_mb / duck.peak_mb:.1f}x |")
    return "\n".join(lines) + "\n"


def run(scales: list[float], work: Path, out: Path, command: str, master: str = "local[*]") -> str | None:
    """Measure every scale in ``work`` (reusing a warehouse already built there) and write ``out``;
    the table, or None when there is no Java to run Spark on."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        print("Spark mart build not measured: no Java (apt-get install openjdk-17-jre-headless)", flush=True)
        return None
    started = datetime.now(timezone.utc)
    (work / "logs").mkdir(parents=True, exist_ok=True)
    results = [bench_scale(scale, work, master) for scale in scales]
    text = render(results, started, command, master)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default=DEFAULT_SCALES, help=f"comma-separated demo scales (default {DEFAULT_SCALES})")
    parser.add_argument("--master", default="local[*]", help="Spark master (default local[*]: every core)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results file (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--work", type=Path, help="work folder, kept afterwards (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    command = " ".join(["python -m benchmarks.spark", *(argv if argv is not None else sys.argv[1:])])
    with tempfile.TemporaryDirectory(prefix="winwin-spark-bench-") as tmp:
        text = run([float(s) for s in args.scales.split(",")], args.work or Path(tmp), args.out, command, args.master)
    if text:
        print(f"\n{text}\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
