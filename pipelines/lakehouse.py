"""Read marts another engine built (Spark: pipelines/spark_marts.py) with DuckDB, as the app reads
its warehouse.

Why DuckDB still: the heavy build runs on the cluster, but a page view is a few small queries
that DuckDB answers over Parquet in milliseconds, with the same metric SQL and no cluster round
trip. ``catalog(folder)`` writes ``folder/warehouse.duckdb``: a DuckDB file holding only views,
one per table, over ``read_parquet`` of the published canonical tables and the built marts. Every
reader then opens it like any warehouse (read-only, ``warehouse.connect_readonly``), so the pages,
the CLI and scoped access need no second code path; ``WINWIN_MARTS=folder`` points them at it
(``warehouse.db_path``).

Each view casts its columns to the type DuckDB's own build gives them (Spark writes, say, a sum
of DECIMAL(18,2) as DECIMAL(28,2) where DuckDB has DECIMAL(38,2)), so a page sees the same
schema whichever engine built the marts.
"""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path

import duckdb

from pipelines import marts, publish, spark_marts, warehouse

CATALOG = "warehouse.duckdb"


def catalog(folder: Path) -> Path:
    """The DuckDB file of views over the marts in ``folder`` and the tables they were built from;
    written when missing or older than the marts' manifest (a new build), else left as it is."""
    folder = Path(folder).resolve()
    path = folder / CATALOG
    manifest = folder / spark_marts.MANIFEST
    if not manifest.exists():
        raise FileNotFoundError(
            f"{folder}: no marts built here; build them with: "
            f"python -m pipelines marts --engine spark --from DIR --out {folder}")
    if path.exists() and path.stat().st_mtime_ns >= manifest.stat().st_mtime_ns:
        return path
    built = spark_marts.read_manifest(folder)
    source = Path(built["source"])
    published = publish.read_manifest(source)
    views = {name: (source / table["path"], table["columns"]) for name, table in published["tables"].items()}
    views |= {name: (folder / mart["path"], mart_types()[name]) for name, mart in built["marts"].items()}
    work = folder / f".{CATALOG}.{os.getpid()}-{uuid.uuid4().hex[:8]}"
    con = duckdb.connect(str(work))
    try:
        for name, (files, columns) in views.items():
            con.execute(f"CREATE VIEW {name} AS {publish.typed_select(files, columns)}")
        con.close()
        os.replace(work, path)
    except BaseException:
        con.close()
        work.unlink(missing_ok=True)
        raise
    return path


@functools.cache
def mart_types() -> dict[str, dict[str, str]]:
    """Each mart's columns and the types DuckDB's build gives them (built once over empty tables)."""
    con = duckdb.connect(":memory:")
    try:
        warehouse.create_schema(con)
        marts.build(con)
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_name IN (SELECT unnest(?)) ORDER BY table_name, ordinal_position",
            [marts.MART_ORDER],
        ).fetchall()
    finally:
        con.close()
    types: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        types.setdefault(table, {})[column] = kind
    return types
