"""Build the marts: the SQL models in ``models/marts``, in dependency order, as tables.

Marts are derived, so a rebuild can never drift from the canonical tables (and at 10 million
rows it takes seconds in DuckDB). A load of new survey answers into a built warehouse refreshes
instead only the rows of the answers it changed and of the accounts it touched (``refresh``): the
cost follows the new rows and their accounts, not the warehouse, and ``tests/test_marts.py`` holds
the result equal to a full rebuild.
"""

from __future__ import annotations

import hashlib

import duckdb

from pipelines.models import sql_of

# Each mart may read the canonical tables and the marts listed before it.
MART_ORDER = ["mart_latest_event", "mart_data_date", "mart_opportunity", "mart_project", "mart_escalation", "mart_response_outcome",
              # Precomputed for the pages' first views (issue 16): small tables read instead of joins per view.
              "mart_account_facts", "mart_escalation_aftermath", "mart_project_answer", "mart_delivery_answer",
              "mart_daily_totals", "mart_escalation_seller", "mart_won_deal", "mart_account_event", "mart_delivery_histogram"]

# The canonical tables whose changes ``refresh`` can apply in place: a survey answer only moves
# the marts' rows of its own account (every join in the marts below is on account_id or on the
# answer's project) while the data date stays. Any other table's change rebuilds every mart.
REFRESHABLE_TABLES = {"fct_survey_response"}
CHANGED_ANSWERS = "response_id IN (SELECT response_id FROM changed_answer)"
TOUCHED_ACCOUNTS = "account_id IN (SELECT account_id FROM touched_account)"
# What a survey answer changes, in MART_ORDER, each with the SQL picking the rows a refresh replaces.
# The marts of one row per answer (or per pair of an answer and a project) hold nothing of other
# answers: their rows of the changed answers are replaced, computed from those answers and every
# deal and project (a survey load changes neither), so the cost follows the new rows. Of
# mart_account_event, one row per source row, only the answers' own rows change: they are computed
# from the changed answers with every other source read as empty (recomputing the touched
# accounts' every event cost 4 s of CPU at scale 400). The others aggregate an account's answers:
# their rows of the touched accounts are replaced.
# mart_account_facts aggregates each account's answers of the FACTS_ANSWER_MONTHS up to the data
# date: only the accounts of changed answers dated within them, as loaded or as held before, have a
# row a load can move (ANSWERED_ACCOUNTS; a load of older answers, a backfill, has none: 0.5 s of
# CPU spared at scale 400 for 10,000 answers of January 2023).
# mart_latest_event and mart_data_date are rebuilt whole (a scan of dates, no joins).
FACTS_ANSWER_MONTHS = 12  # its SQL's window (a test holds them equal)
ANSWERED_ACCOUNTS = "account_id IN (SELECT account_id FROM answered_account)"
ROWS_OF_TOUCHED = {
    "mart_response_outcome": CHANGED_ANSWERS,
    "mart_account_facts": ANSWERED_ACCOUNTS,
    # survey_type || ' answer' in its SQL; a deal's or an activity's id may equal an answer's
    "mart_account_event": "kind LIKE '% answer' AND ref IN (SELECT response_id FROM changed_answer)",
    "mart_escalation_aftermath": f"escalation_id IN (SELECT escalation_id FROM mart_escalation WHERE {TOUCHED_ACCOUNTS})",
    "mart_project_answer": CHANGED_ANSWERS,
    "mart_delivery_answer": CHANGED_ANSWERS,
}
BY_ANSWER = {"mart_response_outcome", "mart_project_answer", "mart_delivery_answer"}
ANSWERS_ALONE = {"mart_account_event"}
# The accounts a by-account mart recomputes, when fewer than every touched one.
ACCOUNTS_REFRESHED = {"mart_account_facts": ANSWERED_ACCOUNTS}
# The columns of a by-account mart that read answers (by their names' prefixes: mart_account_facts'
# two measures, nps_* and csat_*), where its other columns read no answer. A refresh updates only
# these in its rows of the accounts, from its SQL run on their accounts and answers with every
# other input read as empty: 4 million activities, the projects and escalations are not scanned
# (scale 400, 9,223 accounts: 0.45 -> ~0.2 s of CPU). A test holds the other columns free of answers.
ANSWER_COLUMNS = {"mart_account_facts": ("nps_", "csat_")}
# The marts no survey answer reaches (they read no answers, directly or through another mart):
# a refresh leaves them as they are. A mart in MART_ORDER that is in none of these sets (a new one)
# makes every build a full rebuild until it is placed (a test asks for that).
WITHOUT_ANSWERS = {"mart_opportunity", "mart_project", "mart_escalation", "mart_escalation_seller", "mart_won_deal"}
REBUILT_WHOLE = ("mart_latest_event", "mart_data_date")
# Totals over every account: no account's rows to pick, so a refresh rebuilds them whole once the
# others are done. At scale 400: mart_daily_totals 0.12 s of CPU (three marts grouped by day, no
# join); mart_delivery_histogram 0.38 s (7.4 million pairs grouped by month) unless its counts of
# the changed answers' pairs can be added and taken away (``_add_up_pairs``).
SUMMED_AFTER_REFRESH = ("mart_daily_totals", "mart_delivery_histogram")
# mart_delivery_histogram counts the pairs of PAIRS; a refresh keeps that mart's rows it removed and
# added in these temporary tables.
PAIRS = "mart_delivery_answer"
PAIRS_REMOVED, PAIRS_ADDED = "removed_pair", "added_pair"
# The inputs a BY_ANSWER mart reads as the changed answers only, and those the other marts read as
# the touched accounts' rows (an ANSWERS_ALONE mart: as empty, fct_survey_response as the changed
# answers), each through a temporary view of that name while they are refreshed (mart_data_date is
# global and read as it is).
ANSWER_INPUTS = ["fct_survey_response", "mart_response_outcome"]
BY_ACCOUNT_INPUTS = ["dim_account", "fct_activity", "fct_survey_response", "fct_opportunity", "fct_project",
                     "fct_escalation", "mart_opportunity", "mart_project", "mart_escalation", "mart_response_outcome"]
# The temporary table a load fills with (table, key, account_id) of every row it inserted,
# replaced or removed; ``build`` reads it.
CHANGES = "load_change"


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


def record_change(con: duckdb.DuckDBPyConnection, table: str, rows_sql: str, params: list | None = None) -> None:
    """Note the rows of ``table`` a load is about to insert, replace or remove, for ``build``:
    ``rows_sql`` selects their natural key, then their account_id (old and new of a moved row)."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CHANGES} (table_name VARCHAR, row_key VARCHAR, account_id VARCHAR)")
    con.execute(f"INSERT INTO {CHANGES} SELECT DISTINCT ?, * FROM ({rows_sql})", [table] + (params or []))


def build(con: duckdb.DuckDBPyConnection) -> str:
    """Bring every mart up to date with the canonical tables: ``refresh`` when the changes this
    connection recorded allow it, else a full rebuild. Returns "refreshed" or "rebuilt"."""
    if refreshable_accounts(con) is not None:
        data_date = con.execute("SELECT data_date FROM mart_data_date").fetchall()
        for name in REBUILT_WHOLE:
            _create(con, name)
        if con.execute("SELECT data_date FROM mart_data_date").fetchall() == data_date:
            refresh(con)
            return "refreshed"
    for name in MART_ORDER:
        _create(con, name)
    return "rebuilt"


def _create(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql_of(name)}")
    con.execute(f"COMMENT ON TABLE {name} IS '{definition(name)}'")  # a hex digest: constant SQL


def recorded(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this connection recorded the rows a load wrote (``record_change``); a build without
    (an upgrade) changed none."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
                            [CHANGES]).fetchone()[0])


def refreshable_accounts(con: duckdb.DuckDBPyConnection) -> int | None:
    """How many accounts ``refresh`` would recompute, or None when the marts must be rebuilt: the
    load changed a table not in REFRESHABLE_TABLES, or a row that names no account, or a mart in
    the warehouse was built by other SQL than this version's. (``build`` also rebuilds when the
    data date moves.)"""
    if not recorded(con):
        return None
    tables, unnamed, accounts = con.execute(
        f"SELECT list(DISTINCT table_name), count(*) - count(account_id), count(DISTINCT account_id) FROM {CHANGES}"
    ).fetchone()
    if unnamed or not set(tables or ()) <= REFRESHABLE_TABLES:
        return None
    if set(MART_ORDER) - set(ROWS_OF_TOUCHED) - WITHOUT_ANSWERS - set(REBUILT_WHOLE) - set(SUMMED_AFTER_REFRESH):
        return None
    if outdated(con):
        return None
    return accounts


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the ROWS_OF_TOUCHED marts' rows of the answers and accounts in CHANGES by the same SQL
    run on those answers' or accounts' rows only (temporary views shadow the inputs it reads by name),
    then bring the SUMMED_AFTER_REFRESH marts up to date."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE changed_answer AS
                    SELECT DISTINCT row_key AS response_id FROM {CHANGES} WHERE table_name = 'fct_survey_response'""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE touched_account AS SELECT DISTINCT account_id FROM {CHANGES}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE answered_account AS
                    SELECT DISTINCT account_id FROM (
                      SELECT account_id, answer_date FROM mart_response_outcome WHERE {CHANGED_ANSWERS}
                      UNION ALL
                      SELECT account_id, CAST(responded_at AS DATE) FROM fct_survey_response WHERE {CHANGED_ANSWERS})
                    WHERE answer_date <= (SELECT data_date FROM mart_data_date)
                      AND answer_date > (SELECT data_date FROM mart_data_date) - INTERVAL {FACTS_ANSWER_MONTHS} MONTH""")
    home = con.execute("SELECT current_database()").fetchone()[0].replace('"', '""')
    try:
        for name, rows in ROWS_OF_TOUCHED.items():
            _shadow(con, home, name)
            target = f'"{home}".main.{name}'
            new_rows = f"SELECT * FROM ({sql_of(name)})"
            if name == PAIRS:
                con.execute(f"CREATE TEMP TABLE {PAIRS_REMOVED} AS SELECT * FROM {target} WHERE {rows}")
                con.execute(f"CREATE TEMP TABLE {PAIRS_ADDED} AS {new_rows}")
                new_rows = f"SELECT * FROM {PAIRS_ADDED}"
            if name in ANSWER_COLUMNS:
                columns = [column for (column,) in con.execute(f"SELECT column_name FROM (DESCRIBE {target})").fetchall()
                           if column.startswith(ANSWER_COLUMNS[name])]
                con.execute(f"""UPDATE {target} AS held SET {", ".join(f"{c} = new.{c}" for c in columns)}
                                FROM ({new_rows}) AS new WHERE held.account_id = new.account_id""")
                continue
            con.execute(f"DELETE FROM {target} WHERE {rows}")
            con.execute(f"INSERT INTO {target} {new_rows}")
        _unshadow(con)
        for name in SUMMED_AFTER_REFRESH:
            if not (name == "mart_delivery_histogram" and _add_up_pairs(con, home)):
                _create(con, name)
    finally:
        _unshadow(con)
        for table in ("changed_answer", "touched_account", "answered_account", PAIRS_REMOVED, PAIRS_ADDED, CHANGES):
            con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")


def _add_up_pairs(con: duckdb.DuckDBPyConnection, home: str) -> bool:
    """Bring mart_delivery_histogram up to date by its counts of the pairs a refresh removed and
    added, each counted by the mart's own SQL (a temporary view of PAIRS shows only them), instead
    of counting every pair again. Counted alone, the changed pairs would have period starts of
    their own: both counts are given the mart's starts by one carrier pair per start (of survey
    type NULL, a key no pair has), which then cancel. Returns False, the mart left as it was, when
    the starts themselves change: a pair ending in a month no start is, or a start's month losing
    its last pair; it is then rebuilt whole."""
    def months(pairs: str) -> str:
        return f"SELECT DISTINCT CAST(date_trunc('month', actual_end_date) AS DATE) FROM {pairs}"

    starts = "SELECT DISTINCT period_start FROM mart_delivery_histogram"
    if con.execute(f"""SELECT count(*) FROM ({months(PAIRS_ADDED)} UNION {months(PAIRS_REMOVED)}) AS m(month)
                       WHERE month NOT IN ({starts})""").fetchone()[0]:
        return False
    if con.execute(f"SELECT count(*) FROM {PAIRS_REMOVED}").fetchone()[0] and con.execute(
            f"""SELECT count(*) FROM ({months(PAIRS_REMOVED)}) AS m(month)
                WHERE month NOT IN ({months(f'"{home}".main.{PAIRS}')})""").fetchone()[0]:
        return False
    carriers = (f"""SELECT pair.* REPLACE (start.period_start AS actual_end_date, CAST(NULL AS DATE) AS previous_end_date,
                                         CAST(NULL AS VARCHAR) AS survey_type)
                    FROM (SELECT * FROM "{home}".main.{PAIRS} LIMIT 1) AS pair, ({starts}) AS start""")
    try:
        for pairs in (PAIRS_ADDED, PAIRS_REMOVED):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {PAIRS} AS SELECT * FROM {pairs} UNION ALL {carriers}")
            con.execute(f"CREATE TEMP TABLE counted_{pairs} AS {sql_of('mart_delivery_histogram')}")
    finally:
        con.execute(f"DROP VIEW IF EXISTS temp.main.{PAIRS}")
    key = 'period_start, survey_type, "group", score'
    con.execute(f"""CREATE TEMP TABLE summed AS
                    SELECT {key}, min(nps_points) AS nps_points, min(csat_points) AS csat_points,
                           min(is_low_score) AS is_low_score, CAST(sum(answers) AS BIGINT) AS answers,
                           CAST(sum(by_reference) AS BIGINT) AS by_reference
                    FROM (SELECT * FROM mart_delivery_histogram UNION ALL SELECT * FROM counted_{PAIRS_ADDED}
                          UNION ALL SELECT * REPLACE (-answers AS answers, -by_reference AS by_reference)
                          FROM counted_{PAIRS_REMOVED})
                    GROUP BY {key} HAVING sum(answers) <> 0 ORDER BY {key}""")
    con.execute("CREATE OR REPLACE TABLE mart_delivery_histogram AS SELECT * FROM summed")
    con.execute(f"COMMENT ON TABLE mart_delivery_histogram IS '{definition('mart_delivery_histogram')}'")
    for table in ("summed", f"counted_{PAIRS_ADDED}", f"counted_{PAIRS_REMOVED}"):
        con.execute(f"DROP TABLE temp.main.{table}")
    return True


def _shadow(con: duckdb.DuckDBPyConnection, home: str, mart: str) -> None:
    """Temporary views named as the inputs ``mart`` reads while it is refreshed: the changed answers
    only (ANSWER_INPUTS of a BY_ANSWER mart), those answers and no other row (ANSWERS_ALONE), the
    accounts and their answers and no other row (ANSWER_COLUMNS), or every BY_ACCOUNT_INPUTS
    table's rows of the touched accounts (or of ACCOUNTS_REFRESHED)."""
    _unshadow(con)
    if mart in BY_ANSWER:
        inputs = dict.fromkeys(ANSWER_INPUTS, CHANGED_ANSWERS)
    elif mart in ANSWERS_ALONE:
        inputs = dict.fromkeys(BY_ACCOUNT_INPUTS, "FALSE") | {"fct_survey_response": CHANGED_ANSWERS}
    elif mart in ANSWER_COLUMNS:
        inputs = dict.fromkeys(BY_ACCOUNT_INPUTS, "FALSE") | dict.fromkeys(
            ["dim_account", *ANSWER_INPUTS], ACCOUNTS_REFRESHED.get(mart, TOUCHED_ACCOUNTS))
    else:
        inputs = dict.fromkeys(BY_ACCOUNT_INPUTS, ACCOUNTS_REFRESHED.get(mart, TOUCHED_ACCOUNTS))
    for name, rows in inputs.items():
        con.execute(f'CREATE TEMP VIEW {name} AS SELECT * FROM "{home}".main.{name} WHERE {rows}')


def _unshadow(con: duckdb.DuckDBPyConnection) -> None:
    for name in BY_ACCOUNT_INPUTS:
        con.execute(f"DROP VIEW IF EXISTS temp.main.{name}")
