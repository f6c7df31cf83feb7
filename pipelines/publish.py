"""Publish a warehouse build as Parquet: the canonical tables (lineage columns included) and the
warehouse's own records, with a manifest, for engines that do not read DuckDB files (Spark).

Why Parquet and a manifest: a Spark cluster or a Databricks lakehouse reads Parquet from shared
storage; the manifest says which build the files are (its build id and data date), how many rows
each table holds (a reader can check it read them all) and each column's type in the warehouse,
so whatever reads them back can restore exactly the types DuckDB had.

Layout of ``--out`` (every table is a folder of Parquet files):
    manifest.json
    dim_account/part-0.parquet                   small tables: one file
    fct_opportunity/year=2024/data_0.parquet     fact tables: one folder per year (PARTITIONS)
    ...
A fact table is split by the year of the date the metrics filter it on, so an engine reading one
period skips the other years' files. Rows without that date go to ``year=NULL``.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

from pipelines import warehouse

MANIFEST = "manifest.json"
# Written into every manifest, so a reader can refuse a layout it does not know.
FORMAT = "winwin-parquet/1"
# Fact table -> the date its rows are split by (the date the metrics scope it on; an open deal,
# which has no close date yet, by the date it was created).
PARTITIONS = {
    "fct_opportunity": "COALESCE(close_date, created_date)",
    "fct_project": "start_date",
    "fct_escalation": "opened_at",
    "fct_activity": "activity_date",
    "fct_survey_response": "responded_at",
}
PARTITION_COLUMN = "year"


def publish(db: Path, out: Path) -> dict:
    """Write the build at ``db`` as Parquet into ``out`` (replaced whole) and return its manifest.

    The files are written next to ``out`` and renamed into place at the end, so a reader never
    sees half a publication.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(f".{out.name}.publishing-{uuid.uuid4().hex[:8]}")
    work.mkdir()
    try:
        with warehouse.connect_readonly(db) as con:
            build = con.execute("SELECT build_id, built_at, data_date FROM build_info").fetchone() or (None, None, None)
            tables = {name: _write_table(con, name, columns, work) for name, columns in _tables(con).items()}
        manifest = {
            "format": FORMAT,
            "build_id": build[0],
            "built_at": _iso(build[1]),
            "data_date": _iso(build[2]),
            "published_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
            "warehouse": str(db),
            "tables": tables,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.replaced-{uuid.uuid4().hex[:8]}")
            os.replace(out, old)
            os.replace(work, out)
            shutil.rmtree(old)
        else:
            os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _tables(con) -> dict[str, dict[str, str]]:
    """The warehouse's tables this version knows (canonical and bookkeeping), with their columns
    and types as the file holds them (an older build may lack a column: it is left out, not made up)."""
    held: dict[str, dict[str, str]] = {}
    for table, column, kind in con.execute(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_catalog = current_database() ORDER BY table_name, ordinal_position"""
    ).fetchall():
        held.setdefault(table, {})[column] = kind
    return {table: held[table] for table in warehouse.schema() if table in held}


def _write_table(con, name: str, columns: dict[str, str], work: Path) -> dict:
    """One table as Parquet; its manifest entry (rows, types, how it is split)."""
    folder = work / name
    rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    split_by = PARTITIONS.get(name) if rows else None  # an empty table still gets a file, with its schema
    if split_by:
        con.execute(
            f"COPY (SELECT *, year({split_by}) AS {PARTITION_COLUMN} FROM {name}) TO '{_quoted(folder)}' "
            f"(FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}))"
        )
    else:
        folder.mkdir()
        con.execute(f"COPY {name} TO '{_quoted(folder / 'part-0.parquet')}' (FORMAT parquet)")
    return {
        "path": name,
        "rows": rows,
        "columns": columns,
        "partitioned_by": {PARTITION_COLUMN: split_by} if split_by else None,
        "files": sum(1 for _ in folder.rglob("*.parquet")),
    }


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(
            f"{folder}: no {MANIFEST}; publish a warehouse first: python -m pipelines publish --db W --out {folder}")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: format {manifest.get('format')!r}, this version reads {FORMAT!r}")
    return manifest


def typed_select(folder: Path, columns: dict[str, str]) -> str:
    """DuckDB SQL reading a table's Parquet files in ``folder`` with each column cast to ``columns``'
    type (the ``year=`` folders are read as files, not as a column)."""
    cast = ", ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in columns.items())
    return f"SELECT {cast} FROM read_parquet('{_quoted(folder / '**' / '*.parquet')}', hive_partitioning = false)"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
