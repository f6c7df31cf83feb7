"""Row-level validation with Great Expectations (GX Core 1.x) and the quarantine rules.

Every staged file is checked by a GX suite built here, in code, for its canonical table. GX's
per-row results (``unexpected_index_list`` keyed on ``source_row``) decide which rows go to
quarantine and why; the rest load. GX is imported lazily: the app never pays its import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from pipelines.warehouse import NATURAL_KEYS

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # offline users: no usage pings

# Columns a row is useless without (beyond its key). A survey answer without an account is
# "no matching account": it cannot be linked to any deal.
REQUIRED = {
    "dim_account": ["account_name"],
    "dim_contact": ["account_id", "email"],
    "fct_opportunity": ["account_id", "close_date"],
    "fct_project": ["account_id"],
    "fct_escalation": ["account_id", "opened_at"],
    "fct_activity": ["account_id", "activity_date", "activity_type"],
    "fct_survey_response": ["account_id", "responded_at", "score", "survey_type"],
}
NON_NEGATIVE = {
    "fct_opportunity": ["amount"],
    "fct_project": ["budget_cost", "actual_cost", "revenue"],
}
# Valid answers per survey type, from the NPS (0-10) and CSAT (1-5) scales of DOMAIN.md.
SCORE_RANGES = {"nps": (0, 10), "csat": (1, 5)}


@dataclass(frozen=True)
class Check:
    expectation: object  # a GX expectation instance
    column: str
    reason: str


def checks_for(table: str, columns: list[str], looked_up: frozenset[str] = frozenset()) -> list[Check]:
    """The GX suite of one canonical table, limited to the columns this file provides.

    ``looked_up`` names the columns the mapping resolves by name (an account named in the file):
    an empty one there means the name matched no account, which is what the reason says.
    """
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    E = gx.expectations
    key = NATURAL_KEYS[table]
    checks = [
        Check(E.ExpectColumnValuesToNotBeNull(column=key), key, f"missing {key}"),
        Check(E.ExpectColumnValuesToBeUnique(column=key), key, f"duplicate {key} in this file"),
    ]
    for column in REQUIRED[table]:
        if column in columns:
            matched = column in looked_up or (table, column) == ("fct_survey_response", "account_id")
            reason = "no matching account" if matched else f"missing {column}"
            checks.append(Check(E.ExpectColumnValuesToNotBeNull(column=column), column, reason))
    for column in NON_NEGATIVE.get(table, []):
        if column in columns:
            checks.append(
                Check(E.ExpectColumnValuesToBeBetween(column=column, min_value=0), column, f"negative {column}")
            )
    if table == "fct_survey_response" and "score" in columns:
        for survey_type, (low, high) in SCORE_RANGES.items():
            checks.append(
                Check(
                    E.ExpectColumnValuesToBeBetween(
                        column="score", min_value=low, max_value=high,
                        row_condition=Column("survey_type") == survey_type,
                    ),
                    "score",
                    f"{survey_type} score outside {low}-{high}",
                )
            )
    for column in columns:
        if column.endswith("__unparsed"):
            name = column.removesuffix("__unparsed")
            checks.append(Check(E.ExpectColumnValuesToBeNull(column=column), name, f"unreadable {name}"))
    return checks


@dataclass
class ValidationOutcome:
    failed_rows: pd.DataFrame  # source_row, reason (one row per source row, reasons joined)
    results: pd.DataFrame  # expectation, column_name, success, unexpected_count, sample


def validate(con, staged: str, table: str, looked_up: frozenset[str] = frozenset()) -> ValidationOutcome:
    """Run the table's GX suite on a staged file; return the failing rows with their reasons.

    GX gets only the columns its checks read (plus ``source_row``), not the whole staged table:
    at millions of rows, handing it text columns it never checks doubles the time.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory batch by hashing the whole frame (frames under this many
    # bytes); nothing here reads the fingerprint, and it cost 4x the validation of 400,000
    # activities (benchmarks/run.py). 0 turns it off.
    pandas_execution_engine.HASH_THRESHOLD = 0
    columns = [row[0] for row in con.execute(f"DESCRIBE {staged}").fetchall()]
    checks = checks_for(table, columns, looked_up)
    read = sorted({c.expectation.column for c in checks} | {"source_row"})
    frame = con.execute(f"SELECT {', '.join(read)} FROM {staged}").df()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("staged")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("file")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    for number, check in enumerate(checks):
        check.expectation.meta = {"check": number, "reason": check.reason}
    suite = gx.ExpectationSuite(name=f"{table}_rows", expectations=[c.expectation for c in checks])
    report = batch.validate(
        suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["source_row"]}
    )
    failures, results = [], []
    for result in report.results:  # GX does not promise the suite's order: match on meta
        check = checks[result.expectation_config.meta["check"]]
        if result.exception_info and result.exception_info.get("raised_exception"):
            raise RuntimeError(f"validation of {table}.{check.column} failed to run: {result.exception_info}")
        unexpected = result.result.get("unexpected_index_list") or []
        failures.extend((item["source_row"], check.reason) for item in unexpected)
        results.append(
            {
                "expectation": result.expectation_config.type,
                "column_name": check.column,
                "success": bool(result.success),
                "unexpected_count": int(result.result.get("unexpected_count") or 0),
                "sample": ", ".join(map(str, (result.result.get("partial_unexpected_list") or [])[:5])),
            }
        )
    failed = pd.DataFrame(failures, columns=["source_row", "reason"])
    failed = failed.groupby("source_row", as_index=False).agg(reason=("reason", "; ".join))
    return ValidationOutcome(failed, pd.DataFrame(results))
