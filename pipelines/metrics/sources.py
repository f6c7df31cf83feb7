"""Which sources a warehouse holds, so a metric can say "no data: load X" instead of 0, +0.0%
or a neutral score (DOMAIN.md: missing data is shown as missing)."""

from __future__ import annotations

# Source -> (the SQL that holds a row when it is loaded, what to load to see it).
SOURCES = {
    "accounts": ("SELECT 1 FROM dim_account", "a CRM account export"),
    "deals": ("SELECT 1 FROM fct_opportunity", "a CRM opportunity export"),
    "lead_sources": ("SELECT 1 FROM fct_opportunity WHERE lead_source IS NOT NULL",
                     "a CRM opportunity export with its lead source"),
    "projects": ("SELECT 1 FROM fct_project", "a project export (PSA: Kantata, Harvest)"),
    "budgets": ("SELECT 1 FROM fct_project WHERE budget_cost IS NOT NULL", "a project export with budget costs"),
    "escalations": ("SELECT 1 FROM fct_escalation", "an escalation export (Jira, Zendesk)"),
    "activities": ("SELECT 1 FROM fct_activity", "a client activity export (status reports, meetings)"),
    "nps": ("SELECT 1 FROM fct_survey_response WHERE survey_type = 'nps'", "an NPS survey export"),
    "csat": ("SELECT 1 FROM fct_survey_response WHERE survey_type = 'csat'", "a CSAT survey export"),
    "project_references": ("SELECT 1 FROM fct_survey_response WHERE project_id IS NOT NULL",
                           "survey answers that name their project"),
}


def loaded_sources(con) -> dict[str, bool]:
    """Per source of SOURCES: does the warehouse hold any of it (all False before the first build)."""
    try:
        return {name: con.execute(f"SELECT count(*) FROM ({sql} LIMIT 1) AS t").fetchone()[0] > 0
                for name, (sql, _) in SOURCES.items()}
    except Exception:  # no tables yet
        return {name: False for name in SOURCES}


def missing_note(source: str) -> str:
    """What a page shows in place of a figure whose source is not loaded."""
    return f"no data: load {SOURCES[source][1]} to see this"
