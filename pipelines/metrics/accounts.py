"""Accounts: each account's health (0-100, explained by its components and their evidence) and
its timeline."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import LATEST, Filters, Period, add_months, data_date
from pipelines.metrics.satisfaction import MEASURES, check_measure
from pipelines.metrics.sources import loaded_sources

define("account_health", (
    "Account health 0-100 = weighted mean of five components (weights are settings): satisfaction "
    "(NPS or CSAT), its trend, escalations, margin against target and engagement recency, as of the "
    "period's end. A component without data is left out and the others reweighted: its source is not "
    "loaded, or the account has none of its own (no answers in the 12 months, or in either half-year for "
    "the trend; no project delivered in the 12 months). It is listed as missing, never scored a neutral 50, "
    "and never makes an account at risk. The component that pulled the score down most "
    "is named; components under 40 are at-risk reasons, each with its evidence."
))
# Account health weights (DOMAIN.md: weights are settings); they need not sum to 1.
HEALTH_WEIGHTS = {"satisfaction": 0.30, "trend": 0.15, "escalations": 0.20, "margin": 0.20, "engagement": 0.15}
HEALTH_COMPONENTS = {
    "satisfaction": "NPS of the last 12 months, -100..100 mapped to 0..100 (CSAT: its % satisfied); "
                    "no answers: left out",
    "trend": "satisfaction of the last 6 months against the 6 before: 50 = flat, each NPS point = half a health "
             "point; no answers in either half: left out",
    "escalations": "100 minus 25 per open escalation and 10 per escalation opened in the last 90 days",
    "margin": "delivered margin of the last 12 months against the target: 100 at or above it, 0 at 30 points below; "
              "no project delivered: left out",
    "engagement": "days since the last activity: 100 up to 30 days, 0 from 180 days",
}
# The source each component reads (sources.SOURCES); satisfaction and trend read the measure's answers.
HEALTH_SOURCES = {"satisfaction": None, "trend": None, "escalations": "escalations", "margin": "projects",
                  "engagement": "activities"}
# Margin a services firm plans for; an account delivering this or more scores full marks.
MARGIN_TARGET = 0.30
MARGIN_SHORTFALL_AT_ZERO = 0.30  # margin points below target that score 0
RECENT_ESCALATION_DAYS = 90
OPEN_ESCALATION_PENALTY, RECENT_ESCALATION_PENALTY = 25, 10
ENGAGED_DAYS, DISENGAGED_DAYS = 30, 180
FLAT_TREND = 50.0  # the trend score of a satisfaction that neither rose nor fell
# A component under this is named as an at-risk reason: NPS below -20, an NPS drop of more than
# 20 points in six months, two open escalations, margin 18 points under target, 120 days silent.
AT_RISK_BELOW = 40.0
# Width of each measure's scale in points (NPS -100..100; CSAT 0..100 % satisfied), so a trend
# moves the health score by the same share of its scale.
SCALE_POINTS = {"nps": 200.0, "csat": 100.0}
# _frame reads results as Arrow through ``execute`` (the one method every connection the metrics are
# given has); DuckDB warns on each read that this copies the rows once, a cost measured in _frame.
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)


def account_facts(con, filters: Filters | Period = Filters(), measure: str = "nps") -> pd.DataFrame:
    """Per account in scope, the raw facts of its health as of the period's end (else the data
    date): satisfaction (``{measure}_12m`` etc., CSAT in % points) with answer counts, the latest
    low-score comment, open and recent escalations with the oldest open one's age, margin, last contact."""
    sql, params = _facts_sql(con, Filters.of(filters), measure)
    return con.execute(f"{sql} ORDER BY account_name", params).df()


# The facts of one measure, as mart_account_facts holds them side by side (nps_*, csat_*).
_MEASURE_FACTS = "{m}_answers_12m AS answers_12m, {m}_12m, {m}_answers_recent AS answers_recent, {m}_recent, " \
                 "{m}_answers_before AS answers_before, {m}_before, {m}_low_score_comment AS low_score_comment"


def _facts_sql(con, filters: Filters, measure: str) -> tuple[str, list]:
    """account_facts' query (unordered) and its parameters: read from mart_account_facts on the
    days it precomputes, else computed live."""
    check_measure(measure)
    latest = data_date(con)
    as_of = filters.period.end or latest or LATEST
    scope, params = filters.scope("account")
    if latest is not None and _precomputed(con, as_of):
        # The day every sidebar period ends on, the data date, is precomputed.
        return (f"""SELECT account_id, account_name, owner, segment, region, {_MEASURE_FACTS.format(m=measure)},
                       open_escalations, open_critical, oldest_open_days, recent_escalations,
                       projects_12m, margin_12m, days_since_activity
                FROM mart_account_facts WHERE as_of = ? AND {scope}""", [as_of] + params)
    points = f"100.0 * {measure}_points"  # NPS -100..100, CSAT 0..100 % satisfied
    return (
        f"""WITH as_of AS (SELECT CAST(? AS DATE) AS day),
            accounts AS (SELECT * FROM dim_account WHERE {scope}),
            answers AS (
              SELECT r.account_id,
                     count(*) AS answers_12m, avg({points}) AS level_12m,
                     count(CASE WHEN r.answer_date > as_of.day - INTERVAL 6 MONTH THEN 1 END) AS answers_recent,
                     avg(CASE WHEN r.answer_date > as_of.day - INTERVAL 6 MONTH THEN {points} END) AS level_recent,
                     count(CASE WHEN r.answer_date <= as_of.day - INTERVAL 6 MONTH THEN 1 END) AS answers_before,
                     avg(CASE WHEN r.answer_date <= as_of.day - INTERVAL 6 MONTH THEN {points} END) AS level_before,
                     arg_max(CASE WHEN r.is_low_score THEN r.comment END, CASE WHEN r.is_low_score AND r.comment IS NOT NULL
                             THEN r.responded_at END) AS low_score_comment
              FROM mart_response_outcome AS r CROSS JOIN as_of
              WHERE r.survey_type = ? AND r.answer_date <= as_of.day AND r.answer_date > as_of.day - INTERVAL 12 MONTH
              GROUP BY r.account_id),
            escalations AS (
              SELECT e.account_id,
                     count(CASE WHEN e.resolved_at IS NULL OR CAST(e.resolved_at AS DATE) > as_of.day THEN 1 END) AS open_escalations,
                     count(CASE WHEN (e.resolved_at IS NULL OR CAST(e.resolved_at AS DATE) > as_of.day)
                                 AND e.severity = 'critical' THEN 1 END) AS open_critical,
                     max(CASE WHEN e.resolved_at IS NULL OR CAST(e.resolved_at AS DATE) > as_of.day
                              THEN date_diff('day', CAST(e.opened_at AS DATE), as_of.day) END) AS oldest_open_days,
                     count(CASE WHEN CAST(e.opened_at AS DATE) > as_of.day - INTERVAL {RECENT_ESCALATION_DAYS} DAY THEN 1 END) AS recent_escalations
              FROM mart_escalation AS e CROSS JOIN as_of
              WHERE CAST(e.opened_at AS DATE) <= as_of.day
              GROUP BY e.account_id),
            delivered AS (
              SELECT p.account_id, count(*) AS projects_12m,
                     CAST(sum(p.profit) AS DOUBLE) / NULLIF(CAST(sum(p.revenue) AS DOUBLE), 0) AS margin_12m
              FROM mart_project AS p CROSS JOIN as_of
              WHERE p.is_delivered AND p.actual_end_date <= as_of.day AND p.actual_end_date > as_of.day - INTERVAL 12 MONTH
              GROUP BY p.account_id),
            engaged AS (
              SELECT a.account_id, max(a.activity_date) AS last_activity
              FROM fct_activity AS a CROSS JOIN as_of WHERE a.activity_date <= as_of.day GROUP BY a.account_id)
            SELECT d.account_id, d.account_name, d.owner, d.segment, d.region,
                   COALESCE(s.answers_12m, 0) AS answers_12m, s.level_12m AS {measure}_12m,
                   COALESCE(s.answers_recent, 0) AS answers_recent, s.level_recent AS {measure}_recent,
                   COALESCE(s.answers_before, 0) AS answers_before, s.level_before AS {measure}_before,
                   s.low_score_comment,
                   COALESCE(e.open_escalations, 0) AS open_escalations, COALESCE(e.open_critical, 0) AS open_critical,
                   e.oldest_open_days, COALESCE(e.recent_escalations, 0) AS recent_escalations,
                   COALESCE(m.projects_12m, 0) AS projects_12m, m.margin_12m,
                   date_diff('day', g.last_activity, as_of.day) AS days_since_activity
            FROM accounts AS d CROSS JOIN as_of
            LEFT JOIN answers AS s ON s.account_id = d.account_id
            LEFT JOIN escalations AS e ON e.account_id = d.account_id
            LEFT JOIN delivered AS m ON m.account_id = d.account_id
            LEFT JOIN engaged AS g ON g.account_id = d.account_id""",
        [as_of] + params + [measure],
    )


def _precomputed(con, day) -> bool:
    """Whether mart_account_facts holds the facts as of ``day`` (a warehouse built before it: no)."""
    try:
        return con.execute("SELECT count(*) FROM (SELECT 1 FROM mart_account_facts WHERE as_of = ? LIMIT 1)",
                           [day]).fetchone()[0] > 0
    except Exception:  # noqa: BLE001 (duckdb.CatalogException: the mart is not built yet)
        return False


def _clipped(expression: str, low: float = 0.0, high: float | None = 100.0) -> str:
    """``expression`` held within [low, high] (NULL stays NULL, as pandas' clip keeps NaN)."""
    held = f"CASE WHEN {expression} < {low} THEN {low} ELSE {expression} END"
    return held if high is None else f"CASE WHEN {expression} > {high} THEN {high} ELSE {held} END"


def _component_sql(measure: str) -> dict[str, str]:
    """Each component's 0-100 score (HEALTH_COMPONENTS) as SQL over account_facts' columns; the
    constants are this module's settings, written into the SQL as numbers. NULL where the account
    has no data of its own (no answers, no delivered project): left out, never a neutral 50."""
    scale = SCALE_POINTS[measure]
    shortfall = f"CASE WHEN {MARGIN_TARGET} - margin_12m < 0 THEN 0 ELSE {MARGIN_TARGET} - margin_12m END"
    return {
        "satisfaction": f"100 * ({measure}_12m - {100 - scale}) / {scale}",
        "trend": _clipped(f"{FLAT_TREND} + 100 * ({measure}_recent - {measure}_before) / {scale}"),
        "escalations": _clipped(f"CAST(100 - {OPEN_ESCALATION_PENALTY} * open_escalations - "
                                f"{RECENT_ESCALATION_PENALTY} * recent_escalations AS DOUBLE)", high=None),
        "margin": _clipped(f"100 * (1 - ({shortfall}) / {MARGIN_SHORTFALL_AT_ZERO})", high=None),
        "engagement": f"COALESCE({_clipped(f'100 * ({DISENGAGED_DAYS} - days_since_activity) / {DISENGAGED_DAYS - ENGAGED_DAYS}')}, 0)",
    }


def _health_sql(weights: dict[str, float]) -> tuple[str, list]:
    """The health of a row of ``{component}_score`` columns: the weighted mean over the components
    with a score (NULL: left out, the others reweighted), and the weights it binds."""
    weighted = [name for name in weights if name in HEALTH_COMPONENTS]
    numerator = " + ".join(f"CASE WHEN {n}_score IS NULL THEN 0 ELSE {n}_score * CAST(? AS DOUBLE) END" for n in weighted)
    denominator = " + ".join(f"CASE WHEN {n}_score IS NULL THEN 0 ELSE CAST(? AS DOUBLE) END" for n in weighted)
    values = [float(weights[n]) for n in weighted]
    return f"({numerator or 'NULL'}) / NULLIF({denominator or '0'}, 0)", values + values


def _scored_sql(facts_sql: str, facts_params: list, measure: str, weights: dict[str, float],
                missing: tuple[str, ...]) -> tuple[str, list]:
    """The facts of ``facts_sql`` with each component's score (NULL for a ``missing`` one), the
    health (_health_sql), the components left out, the trend arrow and the component that pulled
    the score down most (the largest weighted gap to 100, the first of equals; none when no gap).
    The weights are bound parameters."""
    components = _component_sql(measure)
    names = list(HEALTH_COMPONENTS)
    scores = ", ".join(f"{'CAST(NULL AS DOUBLE)' if name in missing else components[name]} AS {name}_score"
                       for name in names)
    health, weight_params = _health_sql(weights)
    gaps = ", ".join(f"COALESCE((100 - {name}_score) * CAST(? AS DOUBLE), 0) AS {name}_gap" for name in names)
    gap_params = [float(weights.get(name, 0)) for name in names]
    pulled = " ".join(
        f"WHEN {name}_gap > 0" + "".join(f" AND {name}_gap >= {later}_gap" for later in names[i + 1:]) + f" THEN '{name}'"
        for i, name in enumerate(names))
    left_out = ", ".join(f"CASE WHEN {name}_score IS NULL THEN '{name}' END" for name in names)
    change = f"{measure}_recent - {measure}_before"
    return (f"""SELECT *, CASE {pulled} ELSE '' END AS pulled_down_by,
                       CASE WHEN {change} > 0 THEN '▲' WHEN {change} < 0 THEN '▼' WHEN {change} = 0 THEN '→' ELSE '' END
                         AS trend_arrow,
                       concat_ws(', ', {left_out}) AS missing
                FROM (SELECT *, {health} AS health, {gaps}
                      FROM (SELECT facts.*, {scores} FROM ({facts_sql}) AS facts) AS scored) AS weighed""",
            weight_params + gap_params + facts_params)


def scored_sql(con, filters: Filters | Period = Filters(), measure: str = "nps",
               weights: tuple[tuple[str, float], ...] | None = None) -> tuple[str, list]:
    """account_health's query (facts, component scores, health; unordered, without the texts) and
    its parameters, for SQL that builds on it (pipelines/snapshots.py)."""
    missing = missing_components(con, measure)
    facts_sql, params = _facts_sql(con, Filters.of(filters), measure)
    return _scored_sql(facts_sql, params, measure, _weights_of(dict(weights) if weights else None, missing), missing)


def health_scores(facts: pd.DataFrame, weights: dict[str, float] | None = None, measure: str = "nps",
                  missing: tuple[str, ...] = ()) -> pd.DataFrame:
    """Each account's 0-100 health: its five components (HEALTH_COMPONENTS), their weighted mean
    over the components not ``missing`` (sources not loaded: reweighted, listed in ``missing``,
    never an at-risk reason), the component that pulled it down most, the trend arrow, the at-risk
    reasons ("name score/100") and their evidence. Scores facts given as a frame (account_health
    scores them in the warehouse, with the same SQL)."""
    check_measure(measure)
    columns = [f"{measure}_12m", f"{measure}_recent", f"{measure}_before", "open_escalations", "recent_escalations",
               "margin_12m", "days_since_activity"]
    given = facts.copy()
    for column in columns:
        given[column] = given[column].astype(float)
    with duckdb.connect(":memory:") as local:
        local.register("given", given)
        sql, params = _scored_sql("SELECT * FROM given", [], measure, _weights_of(weights, missing), missing)
        return _explained(local.execute(f"{sql} ORDER BY health", params).df(), measure)


def _weights_of(weights: dict[str, float] | None, missing: tuple[str, ...]) -> dict[str, float]:
    return {name: weight for name, weight in (weights or HEALTH_WEIGHTS).items() if name not in missing}


def _explained(scored: pd.DataFrame, measure: str, with_evidence: bool = True) -> pd.DataFrame:
    """Scored accounts (_scored_sql) with their at-risk reasons and (when ``with_evidence``) the
    evidence of each: a history of health needs only the scores and whether at risk. The texts are
    joined in Arrow for the accounts a component puts at risk only (44,428 of the 80,000 at scale
    400), each distinct number formatted once."""
    frame = scored.drop(columns=[f"{name}_gap" for name in HEALTH_COMPONENTS])
    low = _low_components(frame)
    frame["at_risk_reasons"] = _reasons(frame, low)
    evidence = [_spread(_evidence(name, _Rows(frame, low[name]), measure), low[name]) for name in HEALTH_COMPONENTS
                if with_evidence]
    frame["evidence"] = _joined(evidence, len(frame))
    return frame


def _low_components(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per component, the rows whose ``{component}_score`` is under AT_RISK_BELOW (a missing one, NaN, never is)."""
    return {name: (frame[f"{name}_score"] < AT_RISK_BELOW).to_numpy() for name in HEALTH_COMPONENTS}


class _Rows:
    """The rows ``chosen`` of ``frame``, a column at a time as arrays (a missing column: all missing)."""

    def __init__(self, frame: pd.DataFrame, chosen: np.ndarray):
        self.frame, self.chosen, self.count = frame, chosen, int(chosen.sum())

    def numbers(self, key: str, missing=np.nan) -> np.ndarray:
        if key not in self.frame:
            return np.full(self.count, missing, dtype=float)
        return self.frame[key].to_numpy(dtype=float, na_value=missing)[self.chosen]

    def texts(self, key: str) -> pa.Array:
        if key not in self.frame:
            return pa.nulls(self.count, pa.string())
        return pa.array(self.frame[key].to_numpy(dtype=object, na_value=None)[self.chosen], pa.string())


def _spread(texts: pa.Array, chosen: np.ndarray) -> pa.Array:
    """``texts`` (one for each chosen row) placed on the chosen rows of all; null on the others."""
    return texts.take(pa.array(np.cumsum(chosen) - 1, mask=~chosen))


def _joined(parts: list[pa.Array], rows: int) -> pd.arrays.ArrowStringArray | list:
    """Each row's parts that are not null, in order, joined by "; " ("" when none); no rows: a
    plain empty list, whose column pandas types as it always has (float64)."""
    if not rows:
        return []
    joined = pa.nulls(rows, pa.string())
    for texts in parts:
        joined = pc.coalesce(pc.binary_join_element_wise(joined, texts, "; "), joined, texts)
    return pd.array(pc.fill_null(joined, ""), dtype="str")


def _formatted(numbers: np.ndarray, spec: str) -> pa.Array:
    """``format(number, spec)`` of each float, null where NaN; each distinct number (by its bits, so
    -0.0 stays '-0') is formatted once."""
    known = ~np.isnan(numbers)
    bits, where = np.unique(np.where(known, numbers, 0.0).view(np.int64), return_inverse=True)
    texts = pa.array([format(number, spec) for number in bits.view(np.float64).tolist()], pa.string())
    return texts.take(pa.array(where.ravel(), mask=~known))


def _concat(*texts) -> pa.Array:
    """The texts (arrays or strings) joined row by row; null where any is null."""
    return pc.binary_join_element_wise(*texts, "")


def _reasons(frame: pd.DataFrame, low: dict[str, np.ndarray] | None = None) -> pd.arrays.ArrowStringArray | list:
    """At-risk reasons of each row of ``{component}_score`` columns: "name score/100" for each
    component under AT_RISK_BELOW (``low``: where each is), joined by "; " ("": not at risk)."""
    low = low or _low_components(frame)
    return _joined([_spread(_concat(f"{name} ", _formatted(_Rows(frame, low[name]).numbers(f"{name}_score"), ".0f"),
                                    "/100"), low[name]) for name in HEALTH_COMPONENTS], len(frame))


def _evidence(component: str, rows: _Rows, measure: str) -> pa.Array:
    """The facts behind a low component for each of ``rows``, as a reader would check them (parts
    without facts left out)."""
    def number(key, spec=".0f", missing=np.nan):
        return _formatted(rows.numbers(key, missing), spec)

    def optional(*texts):
        return pc.fill_null(_concat(*texts), "")

    label = MEASURES[measure]["label"]
    if component in ("satisfaction", "trend"):
        def level(when, answers):
            shown = number(f"{measure}_{when}", "+.0f") if measure == "nps" else _concat(number(f"{measure}_{when}"), "%")
            return pc.coalesce(_concat(f"{label} ", shown, optional(" from ", number(answers), " answers")),
                               f"no {label} answers")
        if component == "trend":
            return _concat(level("recent", "answers_recent"), " in the last 6 months against ",
                           level("before", "answers_before"), " the 6 before")
        comments = rows.texts("low_score_comment")
        commented = pc.if_else(pc.equal(comments, ""), None, comments)  # an empty comment is none
        return _concat(level("12m", "answers_12m"), " in 12 months",
                       optional("; latest low-score comment: '", commented, "'"))
    if component == "escalations":
        critical = rows.numbers("open_critical", missing=0)
        return _concat(number("open_escalations", missing=0), " open escalations",
                       optional(" (", _formatted(np.where(critical != 0, critical, np.nan), ".0f"), " critical)"),
                       optional(", oldest ", number("oldest_open_days"), " days"),
                       "; ", number("recent_escalations", missing=0), f" opened in the last {RECENT_ESCALATION_DAYS} days")
    if component == "margin":
        return _concat("delivered margin ", number("margin_12m", ".0%"), f" in 12 months against a {MARGIN_TARGET:.0%} target")
    return pc.coalesce(_concat("no contact for ", number("days_since_activity"), " days"), "no contact recorded")


def missing_components(con, measure: str = "nps") -> tuple[str, ...]:
    """The health components whose source is not loaded: left out of every account's score."""
    loaded = loaded_sources(con)
    return tuple(name for name, source in HEALTH_SOURCES.items() if not loaded[source or measure])


def account_health(con, filters: Filters | Period = Filters(), weights: tuple[tuple[str, float], ...] | None = None,
                   measure: str = "nps") -> pd.DataFrame:
    """Accounts in scope with their health (weights as (name, weight) pairs, so it caches), over the
    components whose sources are loaded (``missing`` lists the others), lowest first. Scored in the
    warehouse: at scale 100 the 20,000 accounts' scores cost more in pandas than their facts."""
    return _health_as_of(con, Filters.of(filters), None, measure, weights)


def account_timeline(con, account_id: str, newest_first: bool = False) -> pd.DataFrame:
    """Everything that happened on one account up to the data date, oldest (or newest) first:
    deals, projects, escalations, activities and survey answers, each with a one-line description
    (mart_account_event, which says what counts)."""
    order = "DESC" if newest_first else ""
    return con.execute(f"SELECT day, kind, what, ref FROM mart_account_event WHERE account_id = ? ORDER BY day {order}, kind, ref",
                       [account_id]).df()


def _health_as_of(con, filters: Filters, day, measure: str, weights, with_evidence: bool = True) -> pd.DataFrame:
    """account_health as of ``day`` (None: the period's end); without the evidence texts when not
    asked for (see _explained)."""
    sql, params = scored_sql(con, filters if day is None else filters.with_period(Period(None, day)), measure, weights)
    return _explained(_frame(con, f"{sql} ORDER BY health, account_name", params), measure, with_evidence)


def _frame(con, sql: str, params: list) -> pd.DataFrame:
    """The rows of ``sql`` as DuckDB's ``.df()`` gives them (text: str, or object when no value is
    given; whole numbers with a gap: nullable Int), read through Arrow: ``.df()`` makes a Python
    string of every text cell before pandas turns them into Arrow again (80,000 accounts' health at
    scale 400: 222 -> 155 ms CPU). Numbers and text only: any other column type is left to ``.df()``."""
    table = con.execute(sql, params).to_arrow_table()
    if not all(pa.types.is_string(t) or pa.types.is_integer(t) or pa.types.is_floating(t) for t in table.schema.types):
        return con.execute(sql, params).df()
    frame = table.to_pandas()
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_string(column.type) and column.null_count == len(column):
            frame[name] = pd.Series([None] * len(column), dtype=object)
        elif pa.types.is_integer(column.type) and column.null_count:
            nullable = pd.api.types.pandas_dtype(f"{'U' if pa.types.is_unsigned_integer(column.type) else ''}"
                                                 f"Int{column.type.bit_width}")
            frame[name] = column.to_pandas(types_mapper={column.type: nullable}.get)
    return frame


def health_over_time(con, filters: Filters | Period = Filters(), months: int = 12, measure: str = "nps",
                     weights: tuple[tuple[str, float], ...] | None = None) -> pd.DataFrame:
    """Each account's health as of each of the last ``months`` month ends up to the period's end
    (else the data date; that last day counts though its month may be partial): as_of, account_id,
    account_name, health, at_risk. Read from the data as loaded now, so a corrected export corrects
    the past too."""
    filters = Filters.of(filters)
    end = filters.period.end or data_date(con)
    if end is None:
        return pd.DataFrame(columns=["as_of", "account_id", "account_name", "health", "at_risk"])
    days = [add_months(end.replace(day=1), 1 - back) - timedelta(days=1) for back in range(months - 1, 0, -1)] + [end]
    frames = []
    for day in days:
        health = _health_as_of(con, filters, day, measure, weights, with_evidence=False)
        frames.append(health.assign(as_of=day, at_risk=health["at_risk_reasons"] != "")[
            ["as_of", "account_id", "account_name", "health", "at_risk"]])
    return pd.concat(frames, ignore_index=True)


def turned_at_risk(con, filters: Filters | Period = Filters(), since=None, measure: str = "nps",
                   weights: tuple[tuple[str, float], ...] | None = None) -> pd.DataFrame:
    """The accounts at risk as of the period's end (else the data date) that were not as of ``since``
    (default: the end of the month before): their health then and now, reasons and evidence."""
    filters = Filters.of(filters)
    end = filters.period.end or data_date(con)
    if end is None:
        return pd.DataFrame(columns=["account_id", "account_name", "health_before", "health", "at_risk_reasons", "evidence"])
    since = since or end.replace(day=1) - timedelta(days=1)
    now = _health_as_of(con, filters, end, measure, weights)
    before = _health_as_of(con, filters, since, measure, weights, with_evidence=False)
    was_fine = set(before.loc[before["at_risk_reasons"] == "", "account_id"])
    turned = now[(now["at_risk_reasons"] != "") & now["account_id"].isin(was_fine)]
    turned = turned.merge(before[["account_id", "health"]].rename(columns={"health": "health_before"}), on="account_id")
    return turned[["account_id", "account_name", "health_before", "health", "at_risk_reasons", "evidence"]]


# --- Health kept per build (pipelines/snapshots.py) ---------------------------------------------


def health_builds(con) -> pd.DataFrame:
    """The builds that kept the accounts' health, oldest first (build_id, built_at, data_date):
    empty for a warehouse whose builds predate health_snapshot, one row after its first build."""
    return con.execute("""SELECT build_id, built_at, data_date FROM health_snapshot
                          GROUP BY build_id, built_at, data_date ORDER BY built_at""").df()


def health_history(con, account_id: str, measure: str = "nps",
                   weights: tuple[tuple[str, float], ...] | None = None) -> pd.DataFrame:
    """One account's health as each build saw it, oldest first (built_at, data_date, health,
    at_risk): the components kept then, weighted with ``weights`` as the page's score is."""
    check_measure(measure)
    health, params = _health_sql(dict(weights) if weights else HEALTH_WEIGHTS)
    return con.execute(
        f"""SELECT built_at, data_date, {health} AS health, at_risk FROM health_snapshot
            WHERE account_id = ? AND measure = ? ORDER BY built_at""",
        params + [account_id, measure],
    ).df()


def turned_at_risk_since_previous_build(con, filters: Filters | Period = Filters(), measure: str = "nps",
                                        weights: tuple[tuple[str, float], ...] | None = None) -> pd.DataFrame:
    """The accounts in scope at risk in the latest build and not in the build before it: their
    health then and now (weighted with ``weights``) and the reasons now. Empty with fewer than two
    builds kept (health_builds says which case it is)."""
    check_measure(measure)
    scope, scope_params = Filters.of(filters).scope("account")
    health, weight_params = _health_sql(dict(weights) if weights else HEALTH_WEIGHTS)
    scores = ", ".join(f"now.{name}_score" for name in HEALTH_COMPONENTS)
    turned = con.execute(
        f"""WITH builds AS (
              SELECT build_id, row_number() OVER (ORDER BY built_at DESC) AS back
              FROM (SELECT build_id, max(built_at) AS built_at FROM health_snapshot GROUP BY build_id) AS kept),
            kept AS (
              SELECT s.*, b.back, {health} AS weighted FROM health_snapshot AS s JOIN builds AS b ON b.build_id = s.build_id
              WHERE b.back <= 2 AND s.measure = ? AND {scope})
            SELECT now.account_id, now.account_name, before.weighted AS health_before, now.weighted AS health, {scores}
            FROM kept AS now JOIN kept AS before ON before.account_id = now.account_id AND before.back = 2
            WHERE now.back = 1 AND now.at_risk AND NOT before.at_risk
            ORDER BY now.weighted, now.account_name""",
        weight_params + [measure] + scope_params,
    ).df()
    turned["at_risk_reasons"] = _reasons(turned)
    return turned[["account_id", "account_name", "health_before", "health", "at_risk_reasons"]]
