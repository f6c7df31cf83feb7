"""Build the marts: the SQL models in ``models/marts``, in dependency order, as tables.

Marts are rebuilt in full on every build: they are derived, so a rebuild can never drift
from the canonical tables (and at 10 million rows it takes seconds in DuckDB).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MARTS_DIR = Path(__file__).parent / "models" / "marts"
# Each mart may read the canonical tables and the marts listed before it.
MART_ORDER = ["mart_latest_event", "mart_data_date", "mart_opportunity", "mart_project", "mart_escalation", "mart_response_outcome",
              # Precomputed for the pages' first views (issue 16): small tables read instead of joins per view.
              "mart_account_facts", "mart_escalation_aftermath", "mart_project_answer"]


def sql_of(name: str) -> str:
    return (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")


def build(con: duckdb.DuckDBPyConnection) -> None:
    for name in MART_ORDER:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql_of(name)}")
