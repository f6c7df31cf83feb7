"""Validation with Great Expectations (GX Core 1.x): the quarantine rules and the warnings.

Two suites run on every build, inside the private copy, before it is swapped in:

- **Per file** (``validate``): each staged file is checked by the suite of its canonical table,
  built here in code: keys present and unique, required columns, readable dates and numbers,
  ranges (NPS 0-10, CSAT 1-5, no negative money), allowed values, flags that agree (a won deal
  is closed), dates in order and recorded events not in the future. GX's per-row results
  (``unexpected_index_list`` keyed on ``source_row``) decide which rows go to quarantine and
  why; the rest load.
- **Per build** (``validate_build``): references between tables, over the whole warehouse as
  it will be swapped in (a project's opportunity, an escalation's project and account, a
  survey answer's account, ...).

Which failures quarantine and which only warn (GX ``severity``: critical or warning):
a row is quarantined when it is wrong in itself, whatever else is loaded: a figure built on it
would be wrong (a negative amount, an NPS of 11, a ticket resolved before it was opened, an
answer dated next year). A reference to a record that is not in the warehouse is only a
warning: exports arrive in any order and from different tools, so a project whose deal is in
a CRM export not loaded yet is still a real project with real cost. Quarantining it would lose
it until someone reloads the file; warning keeps it and counts it in ``validation_result`` on
every build, and the count falls to zero when the deal arrives. A deal that closed before it
was created warns for the same reason: Salesforce allows it for deals migrated from another
CRM, and no metric reads the created date.

GX is imported lazily: the app never pays its import time (a test checks this).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.warehouse import CANONICAL_VALUES, NATURAL_KEYS


def _great_expectations():
    """GX, imported without its optional Spark support. pyspark is installed for the Spark marts
    (issue 19), and GX imports it when it can: 0.23 s more of every ingest's start, and pyspark's
    "does not yet fully support pandas >= 3" warnings printed in the middle of the ingest's output.
    A process that already uses Spark keeps it."""
    if "great_expectations" not in sys.modules and "pyspark" not in sys.modules:
        sys.modules["pyspark"] = None  # GX's `import pyspark` raises ImportError: "not installed"
        try:
            import great_expectations
        finally:
            del sys.modules["pyspark"]
    import great_expectations

    return great_expectations

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # offline users: no usage pings

QUARANTINE, WARNING = "quarantine", "warning"

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
# Figures that may be 0 but make a metric meaningless when they are: a project billed nothing
# (internal, pre-sales, warranty work) has no delivered margin (it divides by revenue). A warning:
# the row loads (its cost still counts), and each build counts such rows in validation_result.
ZERO_WARNS = {"fct_project": ["revenue"]}
# (later, earlier, action): the later date may not come before the earlier one.
DATE_ORDER = {
    "fct_escalation": [("resolved_at", "opened_at", QUARANTINE)],
    "fct_project": [("actual_end_date", "start_date", QUARANTINE), ("planned_end_date", "start_date", QUARANTINE)],
    "fct_opportunity": [("close_date", "created_date", WARNING)],  # migrated deals (docstring)
}
# Dates that record something that has happened, so cannot lie after the load. Planned dates
# (a deal's expected close, a project's due date) may.
RECORDED_DATES = {
    "fct_opportunity": ["created_date"],
    "fct_project": ["actual_end_date"],
    "fct_escalation": ["opened_at", "resolved_at"],
    "fct_survey_response": ["responded_at"],
}
# Slack for "not in the future": an export made east of UTC carries dates up to 14 hours
# (UTC+14, the furthest time zone) ahead of the UTC clock.
FUTURE_SLACK = timedelta(days=1)
# (table, column) -> the table whose natural key it names. Checked on every build; warnings.
REFERENCES = {
    ("dim_contact", "account_id"): "dim_account",
    ("fct_opportunity", "account_id"): "dim_account",
    ("fct_project", "opportunity_id"): "fct_opportunity",
    ("fct_project", "account_id"): "dim_account",
    ("fct_escalation", "project_id"): "fct_project",
    ("fct_escalation", "account_id"): "dim_account",
    ("fct_activity", "account_id"): "dim_account",
    ("fct_survey_response", "account_id"): "dim_account",
}
# Failing values kept per expectation in validation_result and the Data Docs.
SAMPLE_SIZE = 5
_context = None  # the process's ephemeral GX context (see _run)


@dataclass(frozen=True)
class Check:
    expectation: object  # a GX expectation instance; its severity says quarantine or warn
    column: str  # the canonical column the result is about
    reason: str
    reads: tuple[str, ...] = ()  # every column GX reads for it (default: ``column``)
    table: str | None = None  # set where one suite checks several tables (references)

    @property
    def action(self) -> str:
        return WARNING if self.expectation.severity == "warning" else QUARANTINE


def checks_for(table: str, columns: list[str], looked_up: frozenset[str] = frozenset()) -> list[Check]:
    """The GX suite of one canonical table, limited to the columns this file provides.

    ``looked_up`` names the columns the mapping resolves by name (an account named in the file):
    an empty one there means the name matched no account, which is what the reason says.
    """
    gx = _great_expectations()
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
    if table == "fct_survey_response" and {"score", "survey_type"} <= set(columns):
        for survey_type, (low, high) in SCORE_RANGES.items():
            checks.append(
                Check(
                    E.ExpectColumnValuesToBeBetween(
                        column="score", min_value=low, max_value=high,
                        row_condition=Column("survey_type") == survey_type,
                    ),
                    "score",
                    f"{survey_type} score outside {low}-{high}",
                    reads=("score", "survey_type"),
                )
            )
    for (owner, column), allowed in CANONICAL_VALUES.items():
        if owner == table and column in columns:
            checks.append(
                Check(E.ExpectColumnValuesToBeInSet(column=column, value_set=list(allowed)), column,
                      f"{column} not one of {', '.join(allowed)}")
            )
    for column in ZERO_WARNS.get(table, []):
        if column in columns:
            checks.append(
                Check(E.ExpectColumnValuesToNotBeInSet(column=column, value_set=[0], severity="warning"), column,
                      f"{column} 0: no margin can be computed")
            )
    if table == "fct_opportunity" and {"is_won", "is_closed"} <= set(columns):
        checks.append(
            Check(
                E.ExpectColumnValuesToBeInSet(column="is_closed", value_set=[True], row_condition=Column("is_won") == True),  # noqa: E712
                "is_closed", "won but not closed", reads=("is_closed", "is_won"),
            )
        )
    for later, earlier, action in DATE_ORDER.get(table, []):
        if {later, earlier} <= set(columns):
            checks.append(
                Check(
                    E.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing",
                        severity="warning" if action == WARNING else "critical",
                    ),
                    later, f"{later} before {earlier}", reads=(later, earlier),
                )
            )
    latest = datetime.now(timezone.utc).replace(tzinfo=None) + FUTURE_SLACK
    for column in RECORDED_DATES.get(table, []):
        if column in columns:
            checks.append(
                Check(E.ExpectColumnValuesToBeBetween(column=column, max_value=latest), column, f"{column} in the future")
            )
    for column in columns:
        if column.endswith("__unresolved"):  # a deal number or project reference no record carries
            name = column.removesuffix("__unresolved")
            checks.append(Check(E.ExpectColumnValuesToBeNull(column=column, severity="warning"), name,
                                f"{name} names no record loaded", reads=(column,)))
        if column.endswith("__unparsed"):
            name = column.removesuffix("__unparsed")
            checks.append(Check(E.ExpectColumnValuesToBeNull(column=column), name, f"unreadable {name}", reads=(column,)))
    return checks


@dataclass
class ValidationOutcome:
    failed_rows: pd.DataFrame  # source_row, reason: rows to quarantine (reasons joined)
    results: pd.DataFrame  # table_name, expectation, column_name, action, success, unexpected_count, sample
    reports: list = field(default_factory=list)  # GX validation results, for the Data Docs


def validate(con, staged: str, table: str, looked_up: frozenset[str] = frozenset()) -> ValidationOutcome:
    """Run the table's row suite on a staged file; return the rows to quarantine with their reasons.

    GX gets only the rows that may fail a check, found by DuckDB in one scan of the staged table
    (``_may_fail``), and only the columns its checks read: a clean file of a million rows hands it
    none, where copying every row into pandas was most of a file's validation. GX still judges each
    row it gets, so its verdicts, counts and samples are what the whole file would give; the counts
    that need every row (rows checked, missing) are filled in from the same table (``_whole_file``).
    """
    columns = [row[0] for row in con.execute(f"DESCRIBE {staged}").fetchall()]
    checks = checks_for(table, columns, looked_up)
    read = sorted({c for check in checks for c in (check.reads or (check.column,))} | {"source_row"})
    conditions = [_may_fail(check.expectation, staged) for check in checks]
    where = " OR ".join(f"({sql})" for sql, _ in conditions)
    params = [value for _, values in conditions for value in values]
    frame = con.execute(f"SELECT {', '.join(read)} FROM {staged} WHERE {where}", params).df()
    outcome = _run(checks, _nanosecond_times(frame), f"{table}_rows")
    _whole_file(con, staged, checks, outcome.reports[0])
    return outcome


def _may_fail(expectation, staged: str) -> tuple[str, list]:
    """SQL true for every row of ``staged`` the expectation could fail (and perhaps a few more:
    GX decides), with its parameters. An expectation not known here selects every row."""
    kwargs = expectation.configuration.kwargs
    kind = expectation.expectation_type
    column = kwargs.get("column")
    if kwargs.get("mostly", 1) != 1 or kwargs.get("strict_min") or kwargs.get("strict_max"):
        return "TRUE", []  # a share of the rows, or a bound its own value fails: GX needs every row
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} IS NULL", []
    if kind == "expect_column_values_to_be_null":
        return f"{column} IS NOT NULL", []
    if kind == "expect_column_values_to_be_unique":
        return (f"{column} IN (SELECT {column} FROM {staged} WHERE {column} IS NOT NULL "
                "GROUP BY 1 HAVING count(*) > 1)"), []
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        return f"{kwargs['column_A']} {'<' if kwargs.get('or_equal') else '<='} {kwargs['column_B']}", []
    if kind == "expect_column_values_to_be_between":
        bounds = [(op, kwargs.get(name)) for op, name in (("<", "min_value"), (">", "max_value"))
                  if kwargs.get(name) is not None]
        sql = " OR ".join(f"{column} {op} ?" for op, _ in bounds) or "FALSE"
        sql, params = f"({sql})", [value for _, value in bounds]
    elif kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        values = list(kwargs["value_set"])
        listed = f"{column} IN ({', '.join('?' * len(values))})" if values else "FALSE"
        sql, params = (f"NOT ({listed})" if kind == "expect_column_values_to_be_in_set" else listed), values
    else:
        return "TRUE", []
    condition = _row_condition(expectation)
    return (f"{sql} AND {condition[0]}", params + condition[1]) if condition else (sql, params)


def _row_condition(expectation) -> tuple[str, list] | None:
    """A GX ``Column(name) == value`` row condition in SQL; None when there is none or it is another
    kind (then more rows are selected than checked, never fewer)."""
    condition = getattr(expectation, "row_condition", None)
    if condition is None or getattr(condition, "operator", None) != "==":
        return None
    return f"{condition.column.name} = ?", [condition.parameter]


def _whole_file(con, staged: str, checks: list[Check], report) -> None:
    """Put the whole file's rows checked and missing in GX's results (GX saw only the suspect rows),
    and the percentages built on them, so the Data Docs describe the file."""
    counted = []
    for check in checks:
        kwargs = check.expectation.configuration.kwargs
        condition = _row_condition(check.expectation)
        applies, params = condition if condition else ("TRUE", [])
        pair = [kwargs[c] for c in ("column_A", "column_B") if c in kwargs]
        missing = " OR ".join(f"{c} IS NULL" for c in pair or [kwargs.get("column")])
        counted.append((f"count(*) FILTER (WHERE {applies}), count(*) FILTER (WHERE ({applies}) AND ({missing}))",
                        params * 2))
    counts = con.execute(f"SELECT {', '.join(sql for sql, _ in counted)} FROM {staged}",
                         [value for _, values in counted for value in values]).fetchone()
    for result in report.results:
        number = result.expectation_config.meta["check"]
        rows, missing = counts[2 * number], counts[2 * number + 1]
        figures = result.result
        unexpected = figures.get("unexpected_count") or 0

        def percent(of: int) -> float | None:
            return 100 * unexpected / of if of else None

        figures["element_count"] = rows
        if "missing_count" in figures:  # GX counts missing values apart for every check but the null ones
            figures.update(missing_count=missing, missing_percent=100 * missing / rows if rows else None,
                           unexpected_percent=percent(rows - missing), unexpected_percent_total=percent(rows),
                           unexpected_percent_nonmissing=percent(rows - missing))
        else:
            figures["unexpected_percent"] = percent(rows)


def _nanosecond_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as datetime64[ns]: GX 1.24 vectorises its date-range checks only for those, and
    DuckDB hands pandas 3 microsecond columns, which GX then checks row by row in Python
    (500,000 timestamps: 2.1 s against 0.05 s of CPU, benchmarks/FINDINGS.md)."""
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]) and frame[column].dtype != "datetime64[ns]":
            try:
                frame[column] = frame[column].astype("datetime64[ns]")
            except pd.errors.OutOfBoundsDatetime:
                pass  # a date past 2262 cannot be nanoseconds: GX checks that column row by row
    return frame


def validate_build(con, written: str | None = None) -> ValidationOutcome:
    """The references between tables, over the whole warehouse that is about to be swapped in.

    For each reference, GX checks a column of the ids that name no record; these are warnings
    (module docstring), never quarantine. DuckDB finds those ids (an anti-join) and GX gets only
    them, not a row per row of the largest table: the count and sample GX stores are the same, and
    the check no longer grows with the warehouse (the Data Docs count the ids found, not every
    row). One frame holds every reference side by side (a positional join pads the shorter
    columns with NULL), so the whole check is one GX run.

    ``written`` names the table of the rows this build inserted or replaced (table_name, row_key:
    marts.CHANGES). A reference the live build found no unknown id in, whose target this build
    left alone, can only be broken by those rows: every other row named a record then and still
    does. Only they are checked (a survey load at scale 400: 0.74 -> 0.05 s of CPU, the anti-joins
    of every row of every table); the count is the whole warehouse's all the same.
    """
    gx = _great_expectations()
    from great_expectations.expectations.metadata_types import FailureSeverity

    changed, clean = _since_live_build(con, written)
    sides, checks = [], []
    for (table, column), target in REFERENCES.items():
        key = NATURAL_KEYS[target]
        name = f"{table}__{column}__unknown"
        rows = ""
        if (table, column) in clean and target not in changed:
            rows = (f"t.{NATURAL_KEYS[table]} IN (SELECT row_key FROM {written} WHERE table_name = '{table}') AND "
                    if table in changed else "FALSE AND ")
        sides.append(
            f"(SELECT t.{column} AS {name} FROM {table} AS t "
            f"WHERE {rows}t.{column} NOT IN (SELECT {key} FROM {target} WHERE {key} IS NOT NULL))"
        )
        checks.append(Check(gx.expectations.ExpectColumnValuesToBeNull(column=name, severity=FailureSeverity.WARNING),
                            column, f"{column} names no record of {target}", reads=(name,), table=table))
    frame = con.execute(f"SELECT row_number() OVER () AS source_row, * FROM {' POSITIONAL JOIN '.join(sides)}").df()
    return _run(checks, frame, "warehouse_references")


def _since_live_build(con, written: str | None) -> tuple[set[str], set[tuple[str, str]]]:
    """The tables this build wrote rows of, and the references (table, column) the live build's own
    check found no unknown id in (none when ``written`` is not given, or the live build was not
    checked: an upgrade)."""
    if written is None:
        return set(), set()
    changed = {table for (table,) in con.execute(f"SELECT DISTINCT table_name FROM {written}").fetchall()}
    clean = set(con.execute(
        """SELECT table_name, column_name FROM validation_result
           WHERE build_id IN (SELECT build_id FROM build_info) AND source_file IS NULL
             AND expectation = 'expect_column_values_to_be_null' AND success""").fetchall())
    return changed, clean


def _run(checks: list[Check], frame: pd.DataFrame, suite_name: str) -> ValidationOutcome:
    gx = _great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory batch by hashing the whole frame (frames under this many
    # bytes); nothing here reads the fingerprint, and it cost 4x the validation of 400,000
    # activities (benchmarks/run.py). 0 turns it off.
    pandas_execution_engine.HASH_THRESHOLD = 0
    global _context
    if _context is None:  # each ephemeral context makes a temporary folder: one per process
        _context = gx.get_context(mode="ephemeral")
        _context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = f"staged-{uuid.uuid4().hex}"
    batch = (
        _context.data_sources.add_pandas(source)
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("file")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    for number, check in enumerate(checks):
        check.expectation.meta = {"check": number, "reason": check.reason, "action": check.action}
    suite = gx.ExpectationSuite(name=suite_name, expectations=[c.expectation for c in checks])
    try:
        report = batch.validate(
            suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["source_row"]}
        )
    finally:
        _context.data_sources.delete(source)  # and with it the frame
    failures, results = [], []
    for result in report.results:  # GX does not promise the suite's order: match on meta
        check = checks[result.expectation_config.meta["check"]]
        if result.exception_info and result.exception_info.get("raised_exception"):
            raise RuntimeError(f"validation of {suite_name}.{check.column} failed to run: {result.exception_info}")
        if check.action == QUARANTINE:
            failures.extend((item["source_row"], check.reason) for item in result.result.get("unexpected_index_list") or [])
        sample = [_shown(v) for v in result.result.get("partial_unexpected_list") or [] if not _missing(v)]
        results.append(
            {
                "table_name": check.table,
                "expectation": result.expectation_config.type,
                "column_name": check.column,
                "action": check.action,
                "success": bool(result.success),
                "unexpected_count": int(result.result.get("unexpected_count") or 0),
                "sample": ", ".join(sample[:SAMPLE_SIZE]),
            }
        )
        # The Data Docs show counts and a sample; every failing row id would make them huge.
        for bulky in ("unexpected_index_list", "unexpected_list", "unexpected_index_query"):
            result.result.pop(bulky, None)
    failed = pd.DataFrame(failures, columns=["source_row", "reason"])
    failed = failed.groupby("source_row", as_index=False).agg(reason=("reason", "; ".join))
    return ValidationOutcome(failed, pd.DataFrame(results), [report])


def _missing(value) -> bool:
    """A null: a "missing X" failure has no value worth showing as its sample."""
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _shown(value) -> str:
    """A failing value as a person reads it: dates without midnight, a pair as "later / earlier"."""
    if isinstance(value, (tuple, list)):
        return " / ".join(map(_shown, value))
    if isinstance(value, (datetime, pd.Timestamp, np.datetime64)):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(sep=" ")
    return str(value)


# The Data Docs show sample values from the exports, and GX does not escape all of them (a
# lead source "<img src=x onerror=alert(1)>" ran on opening the page); they also pull scripts and
# styles from CDNs. Every page gets this policy: its own files and inline styles, no script,
# nothing from the network. The pages are rendered as HTML by GX, so they read the same.
DOCS_POLICY = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'"
_REMOTE_TAGS = re.compile(r"<script[^>]*\bsrc=[\"']?https?://[^>]*>\s*</script>|<(?:link|img)[^>]*\b(?:href|src)=[\"']?https?://[^>]*>",
                          re.I)


def defuse_docs(folder: Path) -> None:
    """Give every Data Docs page a no-script, no-network policy and drop its CDN scripts, styles and logo."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{DOCS_POLICY}">'
    for page in Path(folder).rglob("*.html"):
        html = _REMOTE_TAGS.sub("", page.read_text(encoding="utf-8"))
        head = re.search(r"<head[^>]*>", html, re.I)
        html = html[: head.end()] + meta + html[head.end():] if head else meta + html
        page.write_text(html, encoding="utf-8")


def write_data_docs(reports: list[tuple[str, object]], folder: Path, build_id: str) -> Path:
    """Render one build's GX results as GX Data Docs in ``folder``; return its index.html.

    ``reports`` pairs a name (the file validated, or "warehouse") with its GX result. The docs
    are written beside and then moved over the previous build's, so a reader of the folder sees
    one build's docs; they are a view of ``validation_result``, which is what the app reads.
    """
    gx = _great_expectations()
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in [*folder.parent.glob(f".{folder.name}.building-*"), *folder.parent.glob(f".{folder.name}.old-*")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by a killed ingest
    fresh = folder.with_name(f".{folder.name}.building-{uuid.uuid4().hex[:8]}")
    context = gx.get_context(mode="ephemeral")
    context.add_data_docs_site(
        "winwin",
        {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(fresh)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    run = RunIdentifier(run_name=f"build {build_id[:12]}", run_time=datetime.now(timezone.utc))
    for name, report in reports:
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(report.suite_name), run, batch_identifier=name)
        report.meta["run_id"] = run  # the page's "Run Name" (batch.validate leaves it empty)
        context.validation_results_store.set(key, report)
    context.build_data_docs(site_names=["winwin"])
    defuse_docs(fresh)
    old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder / "index.html"
