"""Health kept per build: every build writes each account's health as of its data date into
``health_snapshot``, so the Accounts page can show health over time and who turned at risk since
the previous build from what each build saw, not from today's data recomputed for past days.

Why in the warehouse file: a build copies the live file, adds its rows and swaps the copy in
(pipelines/warehouse.py), so the snapshots of earlier builds travel with every build, and a build
killed before its swap loses only its own row set. Marts are rebuilt from the canonical tables;
this table is not a mart and nothing rebuilds it. It has an account_id column, so a team lead's
scoped connection (pipelines/access.py) shows only their accounts' snapshots.
"""

from __future__ import annotations

import duckdb

# One row per build, measure and account: the component scores (NULL where the component had no
# data or its source was not loaded), the health with the default weights (a reader re-weights
# the components with its own) and whether any component was under AT_RISK_BELOW. A bookkeeping
# table of warehouse.schema(): created (or added to an older file) by every build, published
# with the others.
TABLE = "health_snapshot"
COLUMNS = {
    "build_id": "VARCHAR", "built_at": "TIMESTAMP", "data_date": "DATE", "measure": "VARCHAR",
    "account_id": "VARCHAR", "account_name": "VARCHAR", "health": "DOUBLE",
    "satisfaction_score": "DOUBLE", "trend_score": "DOUBLE", "escalations_score": "DOUBLE",
    "margin_score": "DOUBLE", "engagement_score": "DOUBLE", "at_risk": "BOOLEAN",
}


def record(con: duckdb.DuckDBPyConnection) -> int:
    """Add the build stamped in ``build_info`` (its id, time and data date): every account's health
    as of the data date, for each measure. Called by ``warehouse.build`` in its private copy after
    the marts and the stamp; returns the rows written (none for a warehouse without data)."""
    from pipelines.metrics import accounts
    from pipelines.metrics.filters import Filters
    from pipelines.metrics.satisfaction import MEASURES

    stamp = con.execute("SELECT build_id, built_at, data_date FROM build_info").fetchone()
    if stamp is None or stamp[2] is None:
        return 0
    con.execute(f"DELETE FROM {TABLE} WHERE build_id = ?", [stamp[0]])  # the same build recorded once
    written = 0
    for measure in MEASURES:
        scored, params = accounts.scored_sql(con, Filters(), measure)
        scores = ", ".join(f"{name}_score" for name in accounts.HEALTH_COMPONENTS)
        at_risk = " OR ".join(f"COALESCE({name}_score < {accounts.AT_RISK_BELOW}, FALSE)"
                              for name in accounts.HEALTH_COMPONENTS)
        written += con.execute(
            f"""INSERT INTO {TABLE} ({", ".join(COLUMNS)})
                SELECT ?, ?, ?, ?, account_id, account_name, health, {scores}, {at_risk}
                FROM ({scored}) AS scored""",
            list(stamp) + [measure] + params,
        ).fetchone()[0]
    return written
