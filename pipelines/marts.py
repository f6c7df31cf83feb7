"""Build the marts: the SQL models in ``models/marts``, in dependency order, as tables.

Marts are derived, so a rebuild can never drift from the canonical tables (and at 10 million
rows it takes seconds in DuckDB). A load of new survey answers into a built warehouse refreshes
instead only the rows of the accounts it touched (``refresh``): the cost follows the new rows, not
the warehouse, and ``tests/test_marts.py`` holds the result equal to a full rebuild.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

MARTS_DIR = Path(__file__).parent / "models" / "marts"
# Each mart may read the canonical tables and the marts listed before it.
MART_ORDER = ["mart_latest_event", "mart_data_date", "mart_opportunity", "mart_project", "mart_escalation", "mart_response_outcome",
              # Precomputed for the pages' first views (issue 16): small tables read instead of joins per view.
              "mart_account_facts", "mart_escalation_aftermath", "mart_project_answer", "mart_delivery_answer",
              "mart_daily_totals", "mart_escalation_seller", "mart_won_deal", "mart_account_event", "mart_delivery_histogram"]

# The canonical tables whose changes ``refresh`` can apply by account: a survey answer only moves
# the marts' rows of its own account (every join in the marts below is on account_id) while the
# data date stays. Any other table's change rebuilds every mart.
REFRESHABLE_TABLES = {"fct_survey_response"}
# What a survey answer changes, in MART_ORDER, each with the SQL picking its rows of the touched
# accounts. mart_latest_event and mart_data_date are rebuilt whole (a scan of dates, no joins).
ROWS_OF_TOUCHED = {
    "mart_response_outcome": "account_id IN (SELECT account_id FROM touched_account)",
    "mart_account_facts": "account_id IN (SELECT account_id FROM touched_account)",
    "mart_account_event": "account_id IN (SELECT account_id FROM touched_account)",
    "mart_escalation_aftermath": ("escalation_id IN (SELECT escalation_id FROM mart_escalation "
                                  "WHERE account_id IN (SELECT account_id FROM touched_account))"),
    "mart_project_answer": "account_id IN (SELECT account_id FROM touched_account)",
    # Its pairs join a project and an answer of one account; an answer naming another account's
    # project (CROSS_ACCOUNT_REFERENCES) rebuilds instead.
    "mart_delivery_answer": ("account_id IN (SELECT account_id FROM touched_account) "
                             "OR answer_account_id IN (SELECT account_id FROM touched_account)"),
}
# An answer naming a project of another account, now or when the marts were built: the refresh
# sees only the touched accounts' projects, so it could not pair them.
CROSS_ACCOUNT_REFERENCES = """SELECT (SELECT count(*) FROM fct_survey_response AS r JOIN fct_project AS p USING (project_id)
                                      WHERE r.account_id IS DISTINCT FROM p.account_id)
                                   + (SELECT count(*) FROM mart_delivery_answer WHERE account_id IS DISTINCT FROM answer_account_id)"""
# The marts no survey answer reaches (they read no answers, directly or through another mart):
# a refresh leaves them as they are. A mart in MART_ORDER that is in none of these sets (a new one)
# makes every build a full rebuild until it is placed (a test asks for that).
WITHOUT_ANSWERS = {"mart_opportunity", "mart_project", "mart_escalation", "mart_escalation_seller", "mart_won_deal"}
REBUILT_WHOLE = ("mart_latest_event", "mart_data_date")
# Totals over every account: no account's rows to pick, so ``build`` rebuilds them whole once a
# refresh is done. At scale 400: mart_daily_totals 0.08 s (three marts grouped by day, no join),
# mart_delivery_histogram 0.4 s of CPU (7.4 million pairs grouped by month).
SUMMED_AFTER_REFRESH = ("mart_daily_totals", "mart_delivery_histogram")
# The tables and marts those marts read, each seen through a view of the touched accounts' rows
# while they are refreshed (mart_data_date is global and read as it is).
BY_ACCOUNT_INPUTS = ["dim_account", "fct_activity", "fct_survey_response", "fct_opportunity", "fct_project",
                     "fct_escalation", "mart_opportunity", "mart_project", "mart_escalation", "mart_response_outcome"]
# The temporary table a load fills with (table, account_id) of every row it inserted, replaced or
# removed; ``build`` reads it.
CHANGES = "load_change"


def sql_of(name: str) -> str:
    return (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")


def definition(name: str) -> str:
    """The digest of a mart's SQL, kept as the table's comment: rows built by another definition
    are never refreshed in place."""
    return hashlib.sha256(sql_of(name).encode("utf-8")).hexdigest()


def outdated(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The marts of this version the warehouse lacks or holds as another version's SQL built them
    (their comment is not ``definition``): pages would read missing or wrong columns, so they are
    rebuilt first. Marts read as views (Spark-built, pipelines/lakehouse.py) are their builder's."""
    built = dict(con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary"
    ).fetchall())
    views = {name for (name,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT temporary").fetchall()}
    return [name for name in MART_ORDER if name not in views and built.get(name) != definition(name)]


def record_change(con: duckdb.DuckDBPyConnection, table: str, accounts_sql: str, params: list | None = None) -> None:
    """Note the accounts (``accounts_sql`` selects one account_id column) whose rows of ``table``
    a load is about to change, for ``build``."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CHANGES} (table_name VARCHAR, account_id VARCHAR)")
    con.execute(f"INSERT INTO {CHANGES} SELECT DISTINCT ?, account_id FROM ({accounts_sql})", [table] + (params or []))


def build(con: duckdb.DuckDBPyConnection) -> str:
    """Bring every mart up to date with the canonical tables: ``refresh`` when the changes this
    connection recorded allow it, else a full rebuild. Returns "refreshed" or "rebuilt"."""
    if refreshable_accounts(con) is not None:
        data_date = con.execute("SELECT data_date FROM mart_data_date").fetchall()
        for name in REBUILT_WHOLE:
            _create(con, name)
        if con.execute("SELECT data_date FROM mart_data_date").fetchall() == data_date:
            refresh(con)
            for name in SUMMED_AFTER_REFRESH:
                _create(con, name)
            return "refreshed"
    for name in MART_ORDER:
        _create(con, name)
    return "rebuilt"


def _create(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql_of(name)}")
    con.execute(f"COMMENT ON TABLE {name} IS '{definition(name)}'")  # a hex digest: constant SQL


def refreshable_accounts(con: duckdb.DuckDBPyConnection) -> int | None:
    """How many accounts ``refresh`` would recompute, or None when the marts must be rebuilt: the
    load changed a table not in REFRESHABLE_TABLES, or a row that names no account, or a mart in
    the warehouse was built by other SQL than this version's. (``build`` also rebuilds when the
    data date moves.)"""
    recorded = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
                           [CHANGES]).fetchone()[0]
    if not recorded:
        return None
    tables, unnamed, accounts = con.execute(
        f"SELECT list(DISTINCT table_name), count(*) - count(account_id), count(DISTINCT account_id) FROM {CHANGES}"
    ).fetchone()
    if unnamed or not set(tables or ()) <= REFRESHABLE_TABLES:
        return None
    if set(MART_ORDER) - set(ROWS_OF_TOUCHED) - WITHOUT_ANSWERS - set(REBUILT_WHOLE) - set(SUMMED_AFTER_REFRESH):
        return None
    if outdated(con) or con.execute(CROSS_ACCOUNT_REFERENCES).fetchone()[0]:
        return None
    return accounts


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the ROWS_OF_TOUCHED marts' rows of the accounts in CHANGES by the same SQL run on
    those accounts' rows only (temporary views shadow the inputs it reads by name)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE touched_account AS SELECT DISTINCT account_id FROM {CHANGES}")
    home = con.execute("SELECT current_database()").fetchone()[0].replace('"', '""')
    try:
        for name in BY_ACCOUNT_INPUTS:
            con.execute(f"""CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "{home}".main.{name}
                            WHERE account_id IN (SELECT account_id FROM touched_account)""")
        for name, rows in ROWS_OF_TOUCHED.items():
            target = f'"{home}".main.{name}'
            con.execute(f"DELETE FROM {target} WHERE {rows}")
            con.execute(f"INSERT INTO {target} SELECT * FROM ({sql_of(name)})")
    finally:
        for name in BY_ACCOUNT_INPUTS:
            con.execute(f"DROP VIEW IF EXISTS temp.main.{name}")
        con.execute(f"DROP TABLE temp.main.touched_account; DROP TABLE temp.main.{CHANGES}")
