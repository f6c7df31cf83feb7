"""Delivery -> satisfaction, the chain's first link: the answers that followed projects finished
late or over budget (or escalated) against those that followed on-time, on-budget ones.

An answer belongs to a project when it names it (``project_id``); an answer that names no project
belongs to each project of its account whose window, from the project's start to N months after
its end, holds the answer date (answers are often given before the work ends). A project is judged
by mart_project.delivery_outcome; only completed projects are judged.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import Filters, Period, data_date, named
from pipelines.metrics.satisfaction import MEASURES, check_measure, satisfaction_of
from pipelines.metrics.statistics import SCORE_SCALES, difference_interval, t_interval, verdict, weighted_moments, wilson_interval

# Months after a project's end in which its account's answers count as about it (a setting).
AFTER_PROJECT_MONTHS = 6
# The comparisons offered: the mart column that splits projects, and its two groups (problem first).
SPLITS = {
    "delivery": ("delivery_outcome", ["late or over budget", "on time and on budget"]),
    "escalation": ("CASE WHEN escalations > 0 THEN 'escalated' ELSE 'not escalated' END", ["escalated", "not escalated"]),
}
# Who a comparison can be broken down by (mart_project columns).
PER = {"delivery_team": "COALESCE(delivery_team, 'unknown')", "delivery_manager": "COALESCE(delivery_manager, 'unknown')"}

define("delivery_to_satisfaction", (
    "Projects completed in the period that finished late (actual end after planned end) or over budget "
    "(actual cost above budget; without a budget, on schedule alone), or had escalations, against on-time, "
    "on-budget ones: the answers about them (naming the project, else the account's answers from the "
    "project's start to 6 months after its end). Mean score (95% t-interval), share of low scores "
    "(detractors 0-6; CSAT 1-2; 95% Wilson) and NPS or CSAT (95% interval), with n answers."
))


def _pairs(filters: Filters | Period, by: str, months_after: int, precomputed: bool = True) -> tuple[str, list]:
    """SQL of each (completed project, answer about it) pair, and its parameters (the measure last).
    At the default months after, ``precomputed`` reads the pairs mart_delivery_answer holds (the
    same SQL, run once per build; without the answers' comments); otherwise they are joined here."""
    months_after = int(months_after)  # constant SQL below: an int, never text
    where, params = Filters.of(filters).within("project", "actual_end_date")
    if precomputed and months_after == AFTER_PROJECT_MONTHS:
        return f"""WITH pairs AS (
                     SELECT {SPLITS[by][0]} AS "group", project_id, {PER['delivery_team']} AS delivery_team,
                            {PER['delivery_manager']} AS delivery_manager, answer_account_id AS account_id, response_id,
                            answer_date, score, nps_points, csat_points, is_low_score, linked_by, previous_end_date
                     FROM mart_delivery_answer WHERE {where} AND survey_type = ?)""", params
    return f"""WITH projects AS (
                 SELECT project_id, account_id, start_date, actual_end_date, {SPLITS[by][0]} AS grp,
                        {PER['delivery_team']} AS delivery_team, {PER['delivery_manager']} AS delivery_manager
                 FROM mart_project
                 WHERE is_delivered AND delivery_outcome IS NOT NULL AND {where}),
               answers AS (
                 SELECT response_id, account_id, project_id, answer_date, score, nps_points, csat_points, is_low_score, comment
                 FROM mart_response_outcome WHERE survey_type = ?),
               pairs AS (
                 SELECT p.grp AS "group", p.project_id, p.delivery_team, p.delivery_manager, a.account_id, a.response_id,
                        a.answer_date, a.score, a.nps_points, a.csat_points, a.is_low_score, a.comment,
                        'project reference' AS linked_by
                 FROM projects AS p JOIN answers AS a ON a.project_id = p.project_id
                 UNION ALL
                 SELECT p.grp, p.project_id, p.delivery_team, p.delivery_manager, a.account_id, a.response_id,
                        a.answer_date, a.score, a.nps_points, a.csat_points, a.is_low_score, a.comment, 'account window'
                 FROM projects AS p JOIN answers AS a
                   ON a.project_id IS NULL AND a.account_id = p.account_id
                  AND a.answer_date >= p.start_date AND a.answer_date <= p.actual_end_date + INTERVAL {months_after} MONTH)""", params


def project_answers(con, filters: Filters | Period = Filters(), measure: str = "nps", by: str = "delivery",
                    months_after: int = AFTER_PROJECT_MONTHS) -> pd.DataFrame:
    """Each (project, answer) pair of the link: the completed project's group, team and manager,
    and the answer's score, points, low-score flag, comment and how it was linked."""
    check_measure(measure)
    pairs, params = _pairs(filters, by, months_after, precomputed=False)
    return con.execute(f"{pairs} SELECT * FROM pairs ORDER BY 1, 7, 6, 2", params + [measure]).df()


_CHOSEN_LINKS = "(CAST(? AS VARCHAR) IS NULL OR linked_by = ?)"


def _histogram(con, filters, measure: str, by: str, per: str | None, months_after: int,
               linked_by: str | None, with_projects: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The answers of each group (an answer once per group) as counts per score, and (``with_projects``)
    the projects of each group: small whatever the warehouse's size, so pages stay fast at scale.
    From the precomputed pairs, split by delivery with no breakdown and no dimension filter (the
    Overview's first view), an answer is counted on its first pair of the group in the period, the
    one whose previous_end_date is before the period, and read from mart_delivery_histogram when
    the period is one the sidebar offers (from a month's first day to the data date); else once by
    DISTINCT."""
    check_measure(measure)
    filters = Filters.of(filters)
    pairs, params = _pairs(filters, by, months_after)
    keys = (f"{per}, " if per else "") + '"group"'
    precomputed = months_after == AFTER_PROJECT_MONTHS
    shortcut = precomputed and by == "delivery" and not per and filters.scope("project")[0] == "TRUE"
    if shortcut and linked_by is None and (start := _histogram_start(con, filters.period)) is not None:
        scores = """SELECT 'scores' AS part, "group", score, nps_points, csat_points, is_low_score, answers, by_reference,
                           CAST(NULL AS BIGINT) AS projects
                    FROM mart_delivery_histogram
                    WHERE survey_type = ? AND period_start = (SELECT min(period_start) FROM mart_delivery_histogram
                                                              WHERE period_start >= ?)"""
        scores_params = [measure, start]
    elif shortcut:
        first_in_period = "(previous_end_date IS NULL OR previous_end_date < ?)"
        scores = f"""SELECT 'scores' AS part, {keys}, score, nps_points, csat_points, is_low_score,
                            count(CASE WHEN {first_in_period} THEN 1 END) AS answers,
                            count(CASE WHEN {first_in_period} AND linked_by = 'project reference' THEN 1 END) AS by_reference,
                            CAST(NULL AS BIGINT) AS projects
                     FROM pairs WHERE {_CHOSEN_LINKS}
                     GROUP BY {keys}, score, nps_points, csat_points, is_low_score
                     HAVING count(CASE WHEN {first_in_period} THEN 1 END) > 0"""
        start = filters.period.params[0]
        scores_params = [start, start, linked_by, linked_by, start]
    else:
        scores = f"""SELECT 'scores' AS part, {keys}, score, nps_points, csat_points, is_low_score, count(*) AS answers,
                            count(CASE WHEN linked_by = 'project reference' THEN 1 END) AS by_reference,
                            CAST(NULL AS BIGINT) AS projects
                     FROM (SELECT DISTINCT {keys}, response_id, score, nps_points, csat_points, is_low_score, linked_by
                           FROM pairs WHERE {_CHOSEN_LINKS}) AS distinct_answers
                     GROUP BY {keys}, score, nps_points, csat_points, is_low_score"""
        scores_params = [linked_by, linked_by]
    projects = f"""SELECT 'projects', {keys}, NULL, NULL, NULL, NULL, NULL, NULL, count(DISTINCT project_id)
                   FROM pairs WHERE {_CHOSEN_LINKS} GROUP BY {keys}"""
    frame = con.execute(f"{pairs} {scores}" + (f" UNION ALL {projects}" if with_projects else ""),
                        params + [measure] + scores_params + ([linked_by, linked_by] if with_projects else [])).df()
    columns = ([per] if per else []) + ["group"]
    counts = frame.loc[frame["part"] == "scores", columns + ["score", "nps_points", "csat_points", "is_low_score",
                                                             "answers", "by_reference"]]
    counts = counts.astype({"answers": "int64", "by_reference": "int64", "is_low_score": bool}).reset_index(drop=True)
    if not with_projects:
        return counts, None
    made = frame.loc[frame["part"] == "projects", columns + ["projects"]].astype({"projects": "int64"}).reset_index(drop=True)
    return counts, made


def _histogram_start(con, period: Period) -> date | None:
    """The month's first day mart_delivery_histogram holds ``period``'s counts under (all time: the
    earliest), or None when it holds none: the period ends before the data date or does not start
    on a month's first day."""
    latest = data_date(con)
    if period.end is not None and (latest is None or period.end < latest):
        return None
    if period.start is not None and period.start.day != 1:
        return None
    return period.params[0]


def _group_figures(scores: pd.DataFrame, measure: str) -> dict:
    """n, mean score with its t-interval, low-score share with its Wilson interval, and NPS/CSAT,
    from one group's score counts."""
    n = int(scores["answers"].sum())
    nan = float("nan")
    mean, low, high = nan, nan, nan
    if n:
        total, mean, squares = weighted_moments(scores["score"], scores["answers"])
        std = np.sqrt(squares / (total - 1)) if n > 1 else nan
        low, high = t_interval(mean, std, n, scale=SCORE_SCALES[measure])
    lows = int(scores.loc[scores["is_low_score"].astype(bool), "answers"].sum())
    share_low, share_high = wilson_interval(lows, max(n, 1))
    counts = pd.DataFrame([{"answers": n, "promoters": int(scores.loc[scores["nps_points"] == 1, "answers"].sum()),
                            "detractors": int(scores.loc[scores["nps_points"] == -1, "answers"].sum()),
                            "satisfied": int(scores.loc[scores["csat_points"] == 1, "answers"].sum())}])
    scored = satisfaction_of(counts, measure).iloc[0]
    return {"n": n, "by_reference": int(scores["by_reference"].sum()), "mean_score": mean, "ci_low": low, "ci_high": high,
            "low_share": lows / n if n else nan, "low_ci_low": float(share_low) if n else nan,
            "low_ci_high": float(share_high) if n else nan,
            "satisfaction": scored["satisfaction"], "satisfaction_ci_low": scored["satisfaction_ci_low"],
            "satisfaction_ci_high": scored["satisfaction_ci_high"]}


def delivery_to_satisfaction(con, filters: Filters | Period = Filters(), measure: str = "nps", by: str = "delivery",
                             per: str | None = None, months_after: int = AFTER_PROJECT_MONTHS,
                             linked_by: str | None = None) -> pd.DataFrame:
    """One row per group of ``by`` ("delivery": late or over budget / on time and on budget;
    "escalation": escalated / not escalated), or per delivery team or manager and group (``per``):
    n answers (an answer counts once per group), projects, answers linked by project reference,
    mean score with ci_low/ci_high, low_share with low_ci_low/low_ci_high, and satisfaction (NPS
    -100..100 or CSAT 0-1) with its interval. ``linked_by`` keeps only "project reference" or
    "account window" links. Groups without answers are listed with n = 0."""
    if per is not None and per not in PER:
        raise ValueError(f"per must be one of {list(PER)}")
    scores, projects = _histogram(con, filters, measure, by, per, months_after, linked_by)
    listed = sorted(scores[per].unique()) if per else [None]
    rows = []
    for who in listed:
        mine = scores[scores[per] == who] if per else scores
        made = projects[projects[per] == who] if per else projects
        for group in SPLITS[by][1]:
            figures = _group_figures(mine[mine["group"] == group], measure)
            count = made.loc[made["group"] == group, "projects"]
            rows.append({**({per: who} if per else {}), "group": group, "projects": int(count.sum()), **figures})
    columns = ([per] if per else []) + ["group", "n", "projects", "by_reference", "mean_score", "ci_low", "ci_high",
                                        "low_share", "low_ci_low", "low_ci_high", "satisfaction", "satisfaction_ci_low",
                                        "satisfaction_ci_high"]
    return pd.DataFrame(rows, columns=columns)


def delivery_effect(con, filters: Filters | Period = Filters(), measure: str = "nps", by: str = "delivery",
                    months_after: int = AFTER_PROJECT_MONTHS, linked_by: str | None = None) -> dict:
    """The link as one effect: mean score about problem projects minus about the others, its Welch
    95% interval, both means and n, and the verdict the interval decides ("clearly lower", ...)."""
    scores, _ = _histogram(con, filters, measure, by, None, months_after, linked_by, with_projects=False)
    problem, fine = (scores[scores["group"] == group] for group in SPLITS[by][1])
    difference = difference_interval(problem["score"], fine["score"], weights_a=problem["answers"], weights_b=fine["answers"],
                                     scale=SCORE_SCALES[measure])
    return difference | {"measure": measure, "verdict": verdict(difference)}


# JSON keys of delivery_to_satisfaction_summary, per group of the "delivery" split.
SUMMARY_KEYS = {"late or over budget": "late_or_over_budget", "on time and on budget": "on_time_on_budget"}


def delivery_to_satisfaction_summary(con, filters: Filters | Period = Filters(),
                                     months_after: int = AFTER_PROJECT_MONTHS) -> dict:
    """``metrics --json``'s delivery_to_satisfaction: per measure that has answers,
    {"late_or_over_budget": {n, mean_score, ci_low, ci_high, low_share}, "on_time_on_budget": {...}}."""
    summary = {}
    for measure in MEASURES:
        frame = delivery_to_satisfaction(con, filters, measure, months_after=months_after)
        if frame["n"].sum() == 0:
            continue
        summary[measure] = {SUMMARY_KEYS[row["group"]]: {key: _json(row[key]) for key in
                                                          ("n", "mean_score", "ci_low", "ci_high", "low_share")}
                            for _, row in frame.iterrows()}
    return summary


def _json(value):
    """NaN -> None and numpy numbers -> Python's, for JSON."""
    if value is None or value != value:
        return None
    return int(value) if float(value).is_integer() and not isinstance(value, float) else float(value)


def answers_about_projects(con, filters: Filters | Period, measure: str, group: str, by: str = "delivery",
                           per: str | None = None, who: str | None = None,
                           months_after: int = AFTER_PROJECT_MONTHS) -> pd.DataFrame:
    """Drill-down of ``delivery_to_satisfaction``: the answers behind one bar (a group, and a team or
    manager when broken down), with the project each is about and how it was linked, oldest first."""
    pairs = project_answers(con, filters, measure, by, months_after)
    chosen = pairs[(pairs["group"] == group) & ((pairs[per] == who) if per else True)]
    frame = chosen[["account_id", "response_id", "answer_date", "score", "comment", "project_id", "delivery_team",
                    "delivery_manager", "linked_by"]].sort_values(["answer_date", "response_id", "project_id"], ignore_index=True)
    return named(con, frame)
