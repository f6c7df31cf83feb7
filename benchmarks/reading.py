"""What the reading fixes of real exports cost (issue 13), measured side by side in one run.

    python -m benchmarks.reading --scale 100 [--work DIR]

A survey export as real ones come (a comment holding a quoted line break, a report footer, an
Excel ``sep=`` first line, a row repeated) against the same export written clean, each loaded with
the accounts into a new warehouse by ``python -m pipelines ingest``; and DuckDB's own reader,
parallel against serial, on the clean file. A line break in a quoted cell forces DuckDB's serial
reader (its parallel one refuses ``null_padding`` with quoted new lines): when the sampled first
rows show one, the file is read serially at once; when it comes later, the parallel read fails
and is retried serially (the worst case, measured too). The other fixes are cheap passes.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from benchmarks.measure import Run, measured, python

SURVEY = "qualtrics_nps.csv"
ACCOUNTS = "salesforce_accounts.csv"
QUALTRICS_HEADER_ROWS = 3
ANSWER = '"Good, but slow to respond"'


def _with_line_break(lines: list[str], at: int) -> list[str]:
    """The export with the comment of answer ``at`` (0 = first) written over two lines."""
    index = QUALTRICS_HEADER_ROWS + at
    while ANSWER not in lines[index]:
        index += 1
    changed = list(lines)
    changed[index] = lines[index].replace(ANSWER, '"Good, but slow to respond.\nThe ""second"" line"', 1)
    return changed


def variants(clean: Path, folder: Path) -> dict[str, Path]:
    """Each export variant's file (named as the survey export, each in its own folder)."""
    lines = clean.read_text(encoding="utf-8").splitlines(keepends=True)
    written = {
        "clean export (parallel reader)": lines,
        "line break in the 1st answer (serial reader)": _with_line_break(lines, 0),
        "line break in the last answers (parallel fails, serial retry)": _with_line_break(lines, len(lines) - 200),
        "sep= line, repeated row, report footer": (["sep=,\n"] + lines + [lines[-1]]
                                                   + ["\n", '"Total",,,,,,,,,\n', '"Confidential Information - Do Not Distribute"\n']),
    }
    files = {}
    for number, (name, content) in enumerate(written.items()):
        path = folder / f"variant{number}" / SURVEY
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(content), encoding="utf-8")
        files[name] = path
    return files


def survey_seconds(run: Run) -> str:
    """The survey file's own time as ingest logs it ("qualtrics_nps.csv [...]: ... (0.7 s)")."""
    found = re.search(rf"^{re.escape(SURVEY)} \[.*\((\d+(?:\.\d+)?) s\)$", run.output, re.MULTILINE)
    return found.group(1) if found else ""


def duckdb_reader(path: Path, parallel: bool, log: Path) -> Run:
    code = (f"import duckdb; print(duckdb.sql(\"SELECT count(*) FROM read_csv('{path}', skip={QUALTRICS_HEADER_ROWS}, "
            f"header=false, all_varchar=true, null_padding=true, parallel={parallel})\").fetchall())")
    return measured(python("-c", code), log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="winwin-reading-") as tmp:
        work = args.work or Path(tmp)
        exports = work / f"scale{args.scale}"
        if not (exports / SURVEY).exists():
            from pipelines.demo import write_demo

            write_demo(exports, scale=args.scale)
        rows = []
        for name, survey in variants(exports / SURVEY, work).items():
            db = survey.parent / "warehouse.duckdb"
            db.unlink(missing_ok=True)  # a warehouse that loaded these bytes before would skip them
            run = measured(python("-m", "pipelines", "ingest", str(exports / ACCOUNTS), str(survey), "--db", str(db)),
                           survey.parent / "ingest.log")
            rows.append((f"ingest: {name}", run))
        for parallel in (True, False):
            rows.append((f"DuckDB read_csv, clean export, parallel={parallel}",
                         duckdb_reader(exports / SURVEY, parallel, work / f"read-{parallel}.log")))
        answers = sum(1 for _ in (exports / SURVEY).open(encoding="utf-8")) - QUALTRICS_HEADER_ROWS
        print(f"Scale {args.scale}: {SURVEY}, {answers:,} answers ({(exports / SURVEY).stat().st_size / 1e6:.0f} MB), "
              f"loaded with {ACCOUNTS} into a new warehouse each.\n")
        print("| variant | exit | wall s | CPU s | peak MB | CPU / clean | survey file s (ingest's log) |")
        print("|---|---|---|---|---|---|---|")
        base = {"ingest": rows[0][1].cpu_seconds, "DuckDB": rows[-2][1].cpu_seconds}
        for name, run in rows:
            ratio = run.cpu_seconds / base[name.split(":")[0].split(" ")[0]]
            print(f"| {name} | {run.returncode} | {run.seconds:.1f} | {run.cpu_seconds:.1f} | {run.peak_mb:.0f} | {ratio:.2f}x | {survey_seconds(run)} |")
        return 0 if all(run.ok for _, run in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
