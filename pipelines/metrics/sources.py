"""Which sources a warehouse holds, so a metric can say "no data: load X" instead of 0, +0.0%
or a neutral score (DOMAIN.md: missing data is shown as missing)."""

from __future__ import annotations

# Source -> (the SQL that holds a row when it is loaded, what to load to see it). The marts are
# read where they hold the source, so a catalog of marts alone (built on Spark) answers too.
SOURCES = {
    "accounts": ("SELECT 1 FROM dim_account", "a CRM account export"),
    "deals": ("SELECT 1 FROM mart_opportunity", "a CRM opportunity export"),
    "lead_sources": ("SELECT 1 FROM mart_opportunity WHERE lead_source IS NOT NULL",
                     "a CRM opportunity export with its lead source"),
    "projects": ("SELECT 1 FROM mart_project", "a project export (PSA: Kantata, Harvest)"),
    "budgets": ("SELECT 1 FROM mart_project WHERE budget_cost IS NOT NULL", "a project export with budget costs"),
    "escalations": ("SELECT 1 FROM mart_escalation", "an escalation export (Jira, Zendesk)"),
    "activities": ("SELECT 1 FROM fct_activity", "a client activity export (status reports, meetings)"),
    "nps": ("SELECT 1 FROM mart_response_outcome WHERE survey_type = 'nps'", "an NPS survey export"),
    "csat": ("SELECT 1 FROM mart_response_outcome WHERE survey_type = 'csat'", "a CSAT survey export"),
    "project_references": ("SELECT 1 FROM mart_response_outcome WHERE project_id IS NOT NULL",
                           "survey answers that name their project"),
}


def loaded_sources(con) -> dict[str, bool]:
    """Per source of SOURCES: does the warehouse hold any of it. A warehouse before its first build
    has no marts: nothing is loaded. A table a catalog lacks (marts without the canonical tables)
    cannot say: the source counts as loaded, so no figure is hidden for it."""
    try:
        con.execute("SELECT count(*) FROM mart_data_date").fetchone()
    except Exception:  # no build yet
        return {name: False for name in SOURCES}
    return {name: _holds_rows(con, sql) for name, (sql, _) in SOURCES.items()}


def _holds_rows(con, sql: str) -> bool:
    try:
        return con.execute(f"SELECT count(*) FROM ({sql} LIMIT 1) AS t").fetchone()[0] > 0
    except Exception:  # a catalog without this table
        return True


def missing_note(source: str) -> str:
    """What a page shows in place of a figure whose source is not loaded."""
    return f"no data: load {SOURCES[source][1]} to see this"
