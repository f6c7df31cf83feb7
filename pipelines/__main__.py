"""Command line: python -m pipelines demo | ingest | status | metrics | report | formats | publish | marts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from pipelines import warehouse
from pipelines.errors import IngestError
from pipelines.metrics.filters import PERIOD_CHOICES


# The sidebar's dimensions as `report` flags -> the metrics Filters field each fills.
REPORT_DIMENSIONS = {"segment": "segments", "region": "regions", "team": "teams", "rep": "reps", "owner": "owners"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="write the demo world's vendor exports")
    demo.add_argument("--out", type=Path, required=True, help="folder to write the exports into")
    demo.add_argument("--scale", type=float, default=1, help="multiplies every row count (1 = ~24,000 rows)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--ingest", action="store_true", help="also load the exports into the warehouse")
    demo.add_argument("--db", help="warehouse file (default: $WINWIN_DB or data/warehouse.duckdb)")

    ingest = commands.add_parser("ingest", help="load vendor exports (files or folders) into the warehouse")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--db", help="warehouse file (default: $WINWIN_DB or data/warehouse.duckdb)")
    ingest.add_argument("--format", dest="layout", help="force a layout (see: python -m pipelines formats)")
    ingest.add_argument("--mapping", action="append", type=Path, default=[], help="your own mapping file (YAML)")
    ingest.add_argument("--sheet", help="XLSX: the sheet to read (default: the largest)")

    status = commands.add_parser("status", help="tables, loaded files, quarantine, data date")
    status.add_argument("--db")
    status.add_argument("--json", action="store_true")

    metrics = commands.add_parser("metrics", help="headline KPIs")
    metrics.add_argument("--db")
    metrics.add_argument("--json", action="store_true")
    metrics.add_argument("--from", dest="start", type=date_or_folder,
                         help="YYYY-MM-DD (inclusive); with --engine spark: the folder of the marts Spark built")
    metrics.add_argument("--engine", choices=ENGINES, default="duckdb",
                         help="the engine that built the marts read: duckdb (the warehouse --db) or spark (--from DIR)")
    metrics.add_argument("--to", dest="end", type=date.fromisoformat, help="YYYY-MM-DD (inclusive)")
    metrics.add_argument("--period", choices=list(PERIOD_CHOICES),
                         help="one of the app's periods, counted back from the data date (default: all time)")

    report = commands.add_parser("report", help="the board pack: Overview KPIs and key charts as a PDF")
    report.add_argument("--out", type=Path, required=True, help="the PDF to write")
    report.add_argument("--db")
    report.add_argument("--from", dest="start", type=date.fromisoformat,
                        help="YYYY-MM-DD (inclusive; default: the Overview's last 12 months of data)")
    report.add_argument("--to", dest="end", type=date.fromisoformat, help="YYYY-MM-DD (inclusive)")
    for flag, dimension in REPORT_DIMENSIONS.items():
        report.add_argument(f"--{flag}", dest=dimension, action="append", default=[], metavar="VALUE",
                            help=f"keep only this {flag} (repeat for several), as the app's sidebar does")

    commands.add_parser("formats", help="list the known vendor layouts and their required columns")

    draft = commands.add_parser("map", help="draft a mapping file for an export no layout knows (exit 3: a person must decide)")
    draft.add_argument("path", type=Path)
    draft.add_argument("--table", help="the canonical table the file fills (default: guessed from its header)")
    draft.add_argument("--out", type=Path, help="write the draft here (default: print it)")
    draft.add_argument("--sheet", help="XLSX: the sheet to read (default: the largest)")
    draft.add_argument("--db", help="warehouse whose accounts tell an account column by its values "
                                     "(default: $WINWIN_DB or data/warehouse.duckdb, if there is one)")

    publish = commands.add_parser("publish", help="write the warehouse's tables as Parquet, with a manifest, for Spark")
    publish.add_argument("--db", help="warehouse file (default: $WINWIN_DB or data/warehouse.duckdb)")
    publish.add_argument("--out", type=Path, required=True, help="folder to write (replaced whole)")

    build_marts = commands.add_parser("marts", help="build the marts from published Parquet on Spark (or DuckDB)")
    build_marts.add_argument("--engine", choices=ENGINES, default="spark")
    build_marts.add_argument("--from", dest="source", type=Path, required=True, help="folder `publish` wrote")
    build_marts.add_argument("--out", type=Path, required=True, help="folder to write the marts into")
    build_marts.add_argument("--master", default="local[*]",
                             help="Spark master URL, or a Spark Connect URL sc://host:15002 (default local[*])")

    args = parser.parse_args(argv)
    if args.command == "metrics":
        read_marts_from(parser, args)
    try:
        return COMMANDS[args.command](args)
    except (IngestError, warehouse.WarehouseBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run_demo(args) -> int:
    from pipelines.demo import write_demo

    started = time.perf_counter()
    files = write_demo(args.out, scale=args.scale, seed=args.seed, progress=lambda msg, _: print(msg, flush=True))
    print(f"wrote {len(files)} exports to {args.out} in {time.perf_counter() - started:.1f} s")
    if args.ingest:
        return run_ingest(argparse.Namespace(paths=[args.out], db=args.db, layout=None, mapping=[], sheet=None))
    return 0


def run_ingest(args) -> int:
    from pipelines.ingest import ingest

    started = time.perf_counter()
    db = warehouse.db_path(args.db)
    results = ingest(
        args.paths, db=db, layout_name=args.layout, mappings=args.mapping, sheet=args.sheet,
        progress=lambda message: print(message, flush=True),
    )
    rows = sum(r.rows_in for r in results)
    print(f"loaded {len(results)} file(s), {rows:,} rows into {db} in {time.perf_counter() - started:.1f} s")
    return 0


def run_status(args) -> int:
    from pipelines.status import status, format_status

    report = status(warehouse.db_path(args.db))
    print(json.dumps(report, indent=2, default=str) if args.json else format_status(report))
    return 0


def existing_warehouse(name: str | None) -> Path:
    db = warehouse.db_path(name)
    if not db.exists():
        raise IngestError(f"{db}: no warehouse yet; load data with: python -m pipelines ingest FILES")
    return db


ENGINES = ("duckdb", "spark")


def date_or_folder(text: str) -> date | Path:
    """`metrics --from`: a date, or (with --engine spark) the folder of marts Spark built."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return Path(text)


def read_marts_from(parser: argparse.ArgumentParser, args) -> None:
    """`metrics --engine spark --from DIR` reads the marts Spark built in DIR (pipelines/lakehouse.py)."""
    if args.engine == "duckdb" and isinstance(args.start, Path):
        parser.error(f"--from {args.start}: expected a date YYYY-MM-DD (or --engine spark with a marts folder)")
    if args.engine == "spark":
        if not isinstance(args.start, Path):
            parser.error("--engine spark: give the folder of the marts Spark built with --from DIR")
        from pipelines import lakehouse

        try:
            args.db, args.start = str(lakehouse.catalog(args.start)), None
        except (FileNotFoundError, ValueError) as exc:
            parser.error(str(exc))


def run_metrics(args) -> int:
    from pipelines import metrics

    if args.period and (args.start or args.end):
        raise IngestError("--period and --from/--to choose the period two ways; give one")
    with warehouse.connect_readonly(existing_warehouse(args.db)) as con:
        data_date = metrics.data_date(con)
        period = metrics.period_of(args.period, data_date) if args.period else metrics.Period(args.start, args.end)
        result = metrics.kpis(con, period)
        result["data_date"] = data_date
        result["period"] = {"from": period.start, "to": period.end}
        for measure, key in (("nps", "rebusiness_12m_by_nps_category"), ("csat", "rebusiness_12m_by_csat_band")):
            link = metrics.rebusiness_by_category(con, period, months=12, measure=measure)
            result[key] = {
                row.category: {"n": int(row.n), "rate": _num(row.rate), "ci_low": _num(row.ci_low), "ci_high": _num(row.ci_high)}
                for row in link.itertuples()
            }
        result["delivery_to_satisfaction"] = metrics.delivery_to_satisfaction_summary(con, period)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        for name, value in result.items():
            print(f"{name:>18}: {value}")
    return 0


def _num(value) -> float | None:
    return None if value != value else float(value)  # NaN -> null in JSON


def run_report(args) -> int:
    from pipelines import metrics
    from pipelines.reporting import board_pack, kpis

    started = time.perf_counter()
    with warehouse.connect_readonly(existing_warehouse(args.db)) as con:
        period = (metrics.Period(args.start, args.end) if args.start or args.end
                  else kpis.default_period(metrics.data_date(con)))
        chosen = {dimension: tuple(getattr(args, dimension)) for dimension in REPORT_DIMENSIONS.values()}
        pdf = board_pack.board_pack_pdf(con, metrics.Filters(period=period, **chosen))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pdf)
    print(f"wrote the board pack, {len(pdf):,} bytes, to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


def run_publish(args) -> int:
    from pipelines.publish import publish

    started = time.perf_counter()
    manifest = publish(existing_warehouse(args.db), args.out)
    rows = sum(table["rows"] for table in manifest["tables"].values())
    print(f"published build {manifest['build_id']}: {len(manifest['tables'])} tables, {rows:,} rows, "
          f"to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


def run_marts(args) -> int:
    from pipelines import lakehouse, spark_marts

    started = time.perf_counter()
    try:
        if args.engine == "spark":
            manifest = spark_marts.build(args.source, args.out, master=args.master)
        else:
            manifest = spark_marts.build_with_duckdb(args.source, args.out)
    except (FileNotFoundError, ValueError) as exc:
        raise IngestError(str(exc)) from None
    catalog = lakehouse.catalog(args.out)
    rows = sum(mart["rows"] for mart in manifest["marts"].values())
    print(f"built {len(manifest['marts'])} marts, {rows:,} rows, on {args.engine} in {time.perf_counter() - started:.1f} s; "
          f"read them with WINWIN_MARTS={args.out} (DuckDB catalog {catalog})")
    return 0


def run_map(args) -> int:
    from pipelines.mapping import draft

    result = draft(args.path, table=args.table, sheet=args.sheet, db=args.db)
    text = result.yaml()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote the draft mapping for {args.path.name} to {args.out}")
    else:
        print(text, end="")
    if result.confident:
        print(f"every required column has a source; load with: python -m pipelines ingest --mapping "
              f"{args.out or 'DRAFT.yaml'} {args.path}", file=sys.stderr)
        return 0
    print(f"a person must decide: {', '.join(result.unsure)} (left blank in the draft, with the reason)", file=sys.stderr)
    return 3


def run_formats(args) -> int:
    from pipelines.adapters import how_found, load_layouts, required_header
    from pipelines.validation import REQUIRED
    from pipelines.warehouse import NATURAL_KEYS

    for layout in load_layouts().values():
        print(f"{layout.name:<28} -> {layout.table:<20} {layout.title}")
        print(f"{'':<32}required: {required_header(layout)}")
        columns = {col.name: col for col in layout.columns}
        for role in [NATURAL_KEYS[layout.table], *REQUIRED[layout.table]]:  # what a row cannot do without
            found = [how_found(columns[role])] if role in columns else [
                f"always {layout.constants[role]!r}"] if role in layout.constants else []
            if (layout.table, role) == ("fct_survey_response", "account_id") and "contact" in columns:
                found.append(f"from the e-mail in {how_found(columns['contact'])} (its contact, or its domain)")
            print(f"{'':<34}{role}: {'; else '.join(found) or 'not in this layout'}")
    return 0


COMMANDS = {"demo": run_demo, "ingest": run_ingest, "status": run_status, "metrics": run_metrics, "report": run_report,
            "formats": run_formats, "map": run_map, "publish": run_publish, "marts": run_marts}

if __name__ == "__main__":
    sys.exit(main())
