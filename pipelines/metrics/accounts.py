"""Accounts: each account's health (0-100, explained by its components and their evidence) and
its timeline."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta

import pandas as pd

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import LATEST, Filters, Period, add_months, data_date
from pipelines.metrics.satisfaction import MEASURES, check_measure
from pipelines.metrics.sources import loaded_sources

define("account_health", (
    "Account health 0-100 = weighted mean of five components (weights are settings): satisfaction "
    "(NPS or CSAT), its trend, escalations, margin against target and engagement recency, as of the "
    "period's end. A component whose source is not loaded is left out and the others reweighted; it is "
    "listed as missing and never makes an account at risk. The component that pulled the score down most "
    "is named; components under 40 are at-risk reasons, each with its evidence."
))
# Account health weights (DOMAIN.md: weights are settings); they need not sum to 1.
HEALTH_WEIGHTS = {"satisfaction": 0.30, "trend": 0.15, "escalations": 0.20, "margin": 0.20, "engagement": 0.15}
HEALTH_COMPONENTS = {
    "satisfaction": "NPS of the last 12 months, -100..100 mapped to 0..100 (CSAT: its % satisfied)",
    "trend": "satisfaction of the last 6 months against the 6 before: 50 = flat, each NPS point = half a health point",
    "escalations": "100 minus 25 per open escalation and 10 per escalation opened in the last 90 days",
    "margin": "delivered margin of the last 12 months against the target: 100 at or above it, 0 at 30 points below",
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
NEUTRAL = 50.0  # an account without answers or delivered margin of its own neither lifts nor pulls down
# A component under this is named as an at-risk reason: NPS below -20, an NPS drop of more than
# 20 points in six months, two open escalations, margin 18 points under target, 120 days silent.
AT_RISK_BELOW = 40.0
# Width of each measure's scale in points (NPS -100..100; CSAT 0..100 % satisfied), so a trend
# moves the health score by the same share of its scale.
SCALE_POINTS = {"nps": 200.0, "csat": 100.0}


def account_facts(con, filters: Filters | Period = Filters(), measure: str = "nps") -> pd.DataFrame:
    """Per account in scope, the raw facts of its health as of the period's end (else the data
    date): satisfaction (``{measure}_12m`` etc., CSAT in % points) with answer counts, the latest
    low-score comment, open and recent escalations with the oldest open one's age, margin, last contact."""
    check_measure(measure)
    filters = Filters.of(filters)
    latest = data_date(con)
    as_of = filters.period.end or latest or LATEST
    scope, params = filters.scope("account")
    if latest is not None and _precomputed(con, as_of):
        # The days pages open on (the data date, the month ends before it) are precomputed.
        return con.execute(
            f"""SELECT account_id, account_name, owner, segment, region,
                       answers_12m, level_12m AS {measure}_12m, answers_recent, level_recent AS {measure}_recent,
                       answers_before, level_before AS {measure}_before, low_score_comment,
                       open_escalations, open_critical, oldest_open_days, recent_escalations,
                       projects_12m, margin_12m, days_since_activity
                FROM mart_account_facts WHERE as_of = ? AND measure = ? AND {scope}
                ORDER BY account_name""",
            [as_of, measure] + params,
        ).df()
    points = f"100.0 * {measure}_points"  # NPS -100..100, CSAT 0..100 % satisfied
    return con.execute(
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
            LEFT JOIN engaged AS g ON g.account_id = d.account_id
            ORDER BY d.account_name""",
        [as_of] + params + [measure],
    ).df()


def _precomputed(con, day) -> bool:
    """Whether mart_account_facts holds the facts as of ``day`` (a warehouse built before it: no)."""
    try:
        return con.execute("SELECT count(*) FROM (SELECT 1 FROM mart_account_facts WHERE as_of = ? LIMIT 1)",
                           [day]).fetchone()[0] > 0
    except Exception:  # noqa: BLE001 (duckdb.CatalogException: the mart is not built yet)
        return False


def health_scores(facts: pd.DataFrame, weights: dict[str, float] | None = None, measure: str = "nps",
                  missing: tuple[str, ...] = ()) -> pd.DataFrame:
    """Each account's 0-100 health: its five components (HEALTH_COMPONENTS), their weighted mean
    over the components not ``missing`` (sources not loaded: reweighted, listed in ``missing``,
    never an at-risk reason), the component that pulled it down most, the trend arrow, the at-risk
    reasons ("name score/100") and their evidence."""
    return _scored(facts, weights, measure, missing, with_evidence=True)


def _scored(facts: pd.DataFrame, weights: dict[str, float] | None, measure: str, missing: tuple[str, ...],
            with_evidence: bool) -> pd.DataFrame:
    """health_scores; without the evidence texts (left blank) when ``with_evidence`` is false: a
    history of health needs the scores and whether at risk, and the texts cost most of the time."""
    check_measure(measure)
    weights = {name: weight for name, weight in (weights or HEALTH_WEIGHTS).items() if name not in missing}
    frame = facts.copy()
    level, recent, before = (frame[f"{measure}_{when}"].astype(float) for when in ("12m", "recent", "before"))
    scale = SCALE_POINTS[measure]
    scores = pd.DataFrame(index=frame.index)
    scores["satisfaction"] = (100 * (level - (100 - scale)) / scale).fillna(NEUTRAL)
    scores["trend"] = (NEUTRAL + 100 * (recent - before) / scale).clip(0, 100).fillna(NEUTRAL)
    scores["escalations"] = (100 - OPEN_ESCALATION_PENALTY * frame["open_escalations"]
                             - RECENT_ESCALATION_PENALTY * frame["recent_escalations"]).clip(lower=0)
    shortfall = (MARGIN_TARGET - frame["margin_12m"]).clip(lower=0)
    scores["margin"] = (100 * (1 - shortfall / MARGIN_SHORTFALL_AT_ZERO)).clip(lower=0).fillna(NEUTRAL)
    days = frame["days_since_activity"].astype(float)
    scores["engagement"] = (100 * (DISENGAGED_DAYS - days) / (DISENGAGED_DAYS - ENGAGED_DAYS)).clip(0, 100).fillna(0)
    total = sum(weights.values())
    frame["health"] = sum(scores[name] * weight for name, weight in weights.items()) / total if total else math.nan
    for name in HEALTH_COMPONENTS:
        frame[f"{name}_score"] = math.nan if name in missing else scores[name]
    # What pulled it down: the component with the largest weighted gap to 100.
    gaps = pd.DataFrame({name: (100 - scores[name]) * weights.get(name, 0) for name in HEALTH_COMPONENTS})
    frame["pulled_down_by"] = gaps.idxmax(axis=1).where(gaps.max(axis=1) > 0, "")
    change = recent - before
    frame["trend_arrow"] = ["▲" if c > 0 else "▼" if c < 0 else "→" if c == 0 else "" for c in change.fillna(math.nan)]
    # At-risk reasons, "name score/100" joined by "; ", built a component (column) at a time.
    reasons = pd.Series("", index=frame.index)
    evidence = pd.Series("", index=frame.index)
    for name in HEALTH_COMPONENTS:
        if name in missing:
            continue
        low = scores[name] < AT_RISK_BELOW
        reasons[low] += scores.loc[low, name].map(f"{name} {{:.0f}}/100; ".format).astype(str)
        if with_evidence and low.any():
            evidence[low] += [f"{_evidence(name, row, measure)}; " for row in frame[low].to_dict("records")]
    frame["at_risk_reasons"] = reasons.str.removesuffix("; ")
    frame["evidence"] = evidence.str.removesuffix("; ")
    frame["missing"] = ", ".join(name for name in HEALTH_COMPONENTS if name in missing)
    return frame.sort_values("health", ignore_index=True)


def _evidence(component: str, row: Mapping, measure: str) -> str:
    """The facts behind a low component, as a reader would check them (parts without facts left out).
    ``row`` is one account's facts as a dict: a Series per row (iterrows) cost most of the page."""
    def known(key):
        value = row.get(key)
        return None if value is None or pd.isna(value) else value

    label = MEASURES[measure]["label"]
    shown = (lambda value: f"{value:+.0f}") if measure == "nps" else (lambda value: f"{value:.0f}%")
    if component in ("satisfaction", "trend"):
        def level(when, answers):
            count = f" from {known(answers):.0f} answers" if known(answers) is not None else ""
            return f"{label} {shown(known(f'{measure}_{when}'))}{count}" if known(f"{measure}_{when}") is not None else f"no {label} answers"
        if component == "trend":
            return f"{level('recent', 'answers_recent')} in the last 6 months against {level('before', 'answers_before')} the 6 before"
        comment = f"; latest low-score comment: '{known('low_score_comment')}'" if known("low_score_comment") else ""
        return f"{level('12m', 'answers_12m')} in 12 months{comment}"
    if component == "escalations":
        critical = f" ({known('open_critical'):.0f} critical)" if known("open_critical") else ""
        oldest = f", oldest {known('oldest_open_days'):.0f} days" if known("oldest_open_days") is not None else ""
        return (f"{known('open_escalations') or 0:.0f} open escalations{critical}{oldest}; "
                f"{known('recent_escalations') or 0:.0f} opened in the last {RECENT_ESCALATION_DAYS} days")
    if component == "margin":
        return f"delivered margin {known('margin_12m'):.0%} in 12 months against a {MARGIN_TARGET:.0%} target"
    days = known("days_since_activity")
    return "no contact recorded" if days is None else f"no contact for {days:.0f} days"


def account_health(con, filters: Filters | Period = Filters(), weights: tuple[tuple[str, float], ...] | None = None,
                   measure: str = "nps") -> pd.DataFrame:
    """Accounts in scope with their health (weights as (name, weight) pairs, so it caches), over the
    components whose sources are loaded (``missing`` lists the others)."""
    loaded = loaded_sources(con)
    missing = tuple(name for name, source in HEALTH_SOURCES.items() if not loaded[source or measure])
    return health_scores(account_facts(con, filters, measure), dict(weights) if weights else None, measure, missing)


def account_timeline(con, account_id: str, newest_first: bool = False) -> pd.DataFrame:
    """Everything that happened on one account, oldest (or newest) first: deals, projects,
    escalations, activities and survey answers, each with a one-line description."""
    order = "DESC" if newest_first else ""
    return con.execute(
        f"""SELECT * FROM (
             SELECT COALESCE(close_date, created_date) AS day, 'deal' AS kind,
                    stage || ' · ' || COALESCE(lead_source, 'unknown source') || ' · ' || CAST(amount AS VARCHAR) AS what,
                    opportunity_id AS ref
             FROM fct_opportunity WHERE account_id = ?
             UNION ALL
             SELECT start_date, 'project start', COALESCE(delivery_team, '') || ' · ' || COALESCE(delivery_manager, ''), project_id
             FROM fct_project WHERE account_id = ?
             UNION ALL
             SELECT actual_end_date, 'project end',
                    'margin ' || CAST(round(100 * margin, 1) AS VARCHAR) || '% · slip ' || CAST(schedule_slip_days AS VARCHAR) || ' d', project_id
             FROM mart_project WHERE account_id = ? AND is_delivered
             UNION ALL
             SELECT CAST(opened_at AS DATE), 'escalation',
                    COALESCE(severity, '') || ' · ' || COALESCE(category, '') || CASE WHEN sales_involved THEN ' · sales involved' ELSE '' END
                      || CASE WHEN resolved_at IS NULL THEN ' · open' ELSE '' END, escalation_id
             FROM fct_escalation WHERE account_id = ?
             UNION ALL
             SELECT activity_date, 'activity',
                    activity_type || ' · ' || COALESCE(sales_participant, '') || COALESCE(' + ' || delivery_participant, ''), activity_id
             FROM fct_activity WHERE account_id = ?
             UNION ALL
             SELECT CAST(responded_at AS DATE), survey_type || ' answer', 'score ' || CAST(score AS VARCHAR) || COALESCE(' · ' || comment, ''), response_id
             FROM fct_survey_response WHERE account_id = ?
           ) AS events
           WHERE day IS NOT NULL
           ORDER BY day {order}, kind, ref""",
        [account_id] * 6,
    ).df()


def _health_as_of(con, filters: Filters, day, measure: str, weights, with_evidence: bool = True) -> pd.DataFrame:
    """account_health as of ``day``; without the evidence texts when not asked for (see _scored)."""
    loaded = loaded_sources(con)
    missing = tuple(name for name, source in HEALTH_SOURCES.items() if not loaded[source or measure])
    facts = account_facts(con, filters.with_period(Period(None, day)), measure)
    return _scored(facts, dict(weights) if weights else None, measure, missing, with_evidence)


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
