"""Satisfaction -> profit: for each survey answer, what the same account did in the next months
(re-business, its amount, its delivered margin), by NPS category or CSAT band; the regression
on the score; the win-win matrix; earned growth. Every view reads NPS or CSAT (``measure``)."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.metrics.definitions import define
from pipelines.metrics.filters import EARLIEST, Filters, Period, add_months, data_date, named
from pipelines.metrics.statistics import (AMOUNT_SCALE, MARGIN_SCALE, linear_fit, mean_interval, nps_interval, wilson_interval,
                                         with_intervals)

# Outcome windows offered for the satisfaction -> profit link, in months after the answer.
OUTCOME_WINDOWS = (3, 6, 12)
NPS_CATEGORIES = ["promoter", "passive", "detractor"]
CSAT_BANDS = ["satisfied (4-5)", "neutral (3)", "dissatisfied (1-2)"]
# The groupings of survey answers the link is shown by: column, survey type, groups in order.
ANSWER_GROUPINGS = {"nps_category": ("nps", NPS_CATEGORIES), "csat_band": ("csat", CSAT_BANDS)}
# The satisfaction measures (DOMAIN.md: every view that reads one can read the other): the
# grouping of their answers, and the per-group index computed from the marts' points
# (NPS -100..100; CSAT the share 0-1 of answers scoring 4-5).
MEASURES = {
    "nps": {"label": "NPS", "grouping": "nps_category", "index": "100.0 * avg(nps_points)"},
    "csat": {"label": "CSAT", "grouping": "csat_band", "index": "avg(csat_points)"},
}
def check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {list(MEASURES)}")


def satisfaction_of(frame: pd.DataFrame, measure: str, prefix: str = "") -> pd.DataFrame:
    """Add ``{prefix}satisfaction`` and its 95% interval to per-group counts ({prefix}answers,
    promoters, detractors, satisfied, each counted from the marts' points): NPS with its normal interval, or CSAT's share with its Wilson interval; NaN without answers."""
    check_measure(measure)
    frame = frame.copy()
    answers = frame[f"{prefix}answers"].astype(float)
    if measure == "nps":
        value, low, high = nps_interval(frame[f"{prefix}promoters"], frame[f"{prefix}detractors"], answers)
        value, low, high = value.to_numpy(), low.to_numpy(), high.to_numpy()
    else:
        satisfied = frame[f"{prefix}satisfied"].astype(float)
        value = (satisfied / answers.where(answers > 0)).to_numpy()
        low, high = wilson_interval(satisfied.to_numpy(), answers.clip(lower=1).to_numpy())
    empty = (answers == 0).to_numpy()
    frame[f"{prefix}satisfaction"] = pd.Series(value, index=frame.index).mask(empty)
    frame[f"{prefix}satisfaction_ci_low"] = pd.Series(low, index=frame.index).mask(empty)
    frame[f"{prefix}satisfaction_ci_high"] = pd.Series(high, index=frame.index).mask(empty)
    return frame


def default_measure(con, filters: Filters | Period = Filters()) -> str:
    """The measure a page opens on: the one with more answers in the period; on a tie (a period
    without answers), the one with more answers loaded, so a firm measuring CSAT only is never sent
    to NPS, of which it has none; NPS on a tie of both."""
    where, params = Filters.of(filters).within("account", "answer_date")
    nps, csat, nps_loaded, csat_loaded = con.execute(
        f"""SELECT count(CASE WHEN survey_type = 'nps' AND {where} THEN 1 END),
                   count(CASE WHEN survey_type = 'csat' AND {where} THEN 1 END),
                   count(CASE WHEN survey_type = 'nps' THEN 1 END), count(CASE WHEN survey_type = 'csat' THEN 1 END)
            FROM mart_response_outcome""", params + params).fetchone()
    return "csat" if (csat, csat_loaded) > (nps, nps_loaded) else "nps"


def _check_window(months: int) -> None:
    if months not in OUTCOME_WINDOWS:
        raise ValueError(f"months must be one of {OUTCOME_WINDOWS}")


define("nps_rebusiness_link", (
    "For each NPS answer: did the same account win re-business within the next N months? "
    "Only answers whose N-month window ends by the data date count. Bars show the share with "
    "a 95% Wilson interval and n answers; answers from one account are not independent, so "
    "read the intervals as a lower bound on uncertainty."
))


def rebusiness_by_category(con, filters: Filters | Period = Filters(), months: int = 12, measure: str = "nps") -> pd.DataFrame:
    """Share of answers followed by re-business within ``months``, per NPS category or CSAT band
    (``measure``), with 95% Wilson intervals: columns category, n, rebought, rate, ci_low, ci_high."""
    _check_window(months)
    check_measure(measure)
    grouping = MEASURES[measure]["grouping"]
    where, params = Filters.of(filters).within("account", "answer_date")
    frame = con.execute(
        f"""SELECT {grouping} AS category, count(*) AS n,
                   sum(CASE WHEN deals_{months}m > 0 THEN 1 ELSE 0 END) AS rebought
            FROM mart_response_outcome
            WHERE survey_type = ? AND window_complete_{months}m AND {where}
            GROUP BY 1""",
        [measure] + params,
    ).df()
    frame = pd.DataFrame({"category": ANSWER_GROUPINGS[grouping][1]}).merge(frame, on="category", how="left")
    frame[["n", "rebought"]] = frame[["n", "rebought"]].fillna(0).astype(int)
    return with_intervals(frame, "rebought", "n")


def rebusiness_by_nps_category(con, filters: Filters | Period = Filters(), months: int = 12) -> pd.DataFrame:
    """``rebusiness_by_category`` of NPS answers (the Overview's and the CLI's link)."""
    return rebusiness_by_category(con, filters, months, "nps")


def _answer_outcomes(con, filters: Filters, months: int, survey_type: str) -> pd.DataFrame:
    """Each answer with a complete ``months`` window: its score, group and what followed."""
    _check_window(months)
    where, params = filters.within("account", "answer_date")
    frame = con.execute(
        f"""SELECT response_id, account_id, answer_date, score, nps_category, csat_band,
                   deals_{months}m AS deals, CAST(amount_{months}m AS DOUBLE) AS amount,
                   CAST(delivered_revenue_{months}m AS DOUBLE) AS delivered_revenue,
                   CAST(delivered_cost_{months}m AS DOUBLE) AS delivered_cost
            FROM mart_response_outcome
            WHERE survey_type = ? AND window_complete_{months}m AND {where}""",
        [survey_type] + params,
    ).df()
    revenue = frame["delivered_revenue"].where(frame["delivered_revenue"] > 0)
    frame["delivered_margin"] = (revenue - frame["delivered_cost"]) / revenue
    return frame


define("satisfaction_outcome", (
    "For each survey answer whose N-month window is complete: whether the same account won "
    "re-business within N months (share, 95% Wilson interval), the re-business amount per answer "
    "(0 when none; mean with 95% t-interval), and the delivered margin of that re-business's "
    "completed projects (mean per answer, 95% t-interval, over the answers where it has delivered)."
))


def outcome_by_group(con, filters: Filters | Period = Filters(), months: int = 12, by: str = "nps_category") -> pd.DataFrame:
    """Per NPS category (or CSAT band): answers n; share followed by re-business within
    ``months`` (Wilson 95%); mean re-business amount per answer (t 95%); mean delivered margin
    of that re-business, over the n_margin answers whose follow-up deals have delivered."""
    survey_type, groups = ANSWER_GROUPINGS[by]
    answers = _answer_outcomes(con, Filters.of(filters), months, survey_type)
    rows = []
    for group in groups:
        chosen = answers[answers[by] == group]
        amount, amount_low, amount_high = mean_interval(chosen["amount"], scale=AMOUNT_SCALE)
        margin, margin_low, margin_high = mean_interval(chosen["delivered_margin"], scale=MARGIN_SCALE)
        rows.append({"group": group, "n": len(chosen), "rebought": int((chosen["deals"] > 0).sum()),
                     "amount": amount, "amount_ci_low": amount_low, "amount_ci_high": amount_high,
                     "n_margin": int(chosen["delivered_margin"].notna().sum()),
                     "margin": margin, "margin_ci_low": margin_low, "margin_ci_high": margin_high})
    return with_intervals(pd.DataFrame(rows), "rebought", "n")


def answers_behind(con, filters: Filters | Period, months: int, by: str, group: str) -> pd.DataFrame:
    """Drill-down of ``outcome_by_group`` and ``rebusiness_by_category``: the answers of one NPS
    category (or CSAT band) with what followed each, oldest first."""
    survey_type, _ = ANSWER_GROUPINGS[by]
    answers = _answer_outcomes(con, Filters.of(filters), months, survey_type)
    chosen = answers[answers[by] == group].sort_values(["answer_date", "response_id"])
    return named(con, chosen[["account_id", "response_id", "answer_date", "score", "deals", "amount", "delivered_margin"]]
                 .rename(columns={"deals": f"deals_within_{months}m", "amount": f"amount_within_{months}m"}))


define("score_regression", (
    "Ordinary least squares of what followed an answer (re-business amount, or its delivered "
    "margin) on the answer's score (NPS 0-10 or CSAT 1-5): slope per score point with its 95% "
    "interval, R² = share of the spread the score explains, n answers."
))
# What a regression of what followed on the score can explain.
REGRESSION_OUTCOMES = {"amount": "re-business amount", "margin": "re-business delivered margin"}


def score_regression(con, filters: Filters | Period = Filters(), months: int = 12, outcome: str = "amount",
                     measure: str = "nps") -> dict:
    """OLS of the re-business that followed an answer on its score (NPS 0-10 or CSAT 1-5).

    ``amount``: every answer with a complete window (0 when nothing followed); ``margin``:
    the answers whose follow-up deals have delivered projects. Returns the fit and its points
    (with the answer's nps_category or csat_band).
    """
    check_measure(measure)
    grouping = MEASURES[measure]["grouping"]
    answers = _answer_outcomes(con, Filters.of(filters), months, measure)
    column = {"amount": "amount", "margin": "delivered_margin"}[outcome]
    points = answers[["response_id", "account_id", "answer_date", "score", grouping, column]].dropna(subset=[column])
    return linear_fit(points["score"], points[column]) | {"points": points.rename(columns={column: outcome})}


def account_satisfaction(filters: Filters, measure: str = "nps") -> tuple[str, list]:
    """SQL (and its parameters) of each account's answers and satisfaction in the period."""
    check_measure(measure)
    where, params = filters.within("account", "answer_date")
    return (f"""SELECT account_id, count(*) AS answers, {MEASURES[measure]['index']} AS satisfaction
            FROM mart_response_outcome
            WHERE survey_type = ? AND {where}
            GROUP BY account_id""", [measure] + params)


define("win_win", (
    "Accounts with answers (NPS or CSAT) and completed projects in the period, placed by their "
    "satisfaction (customer wins when at or above its threshold) and delivered margin (business wins "
    "when at or above the margin threshold); each quadrant's share of the delivered revenue."
))
# Win-win matrix defaults (DOMAIN.md: thresholds are settings). NPS 0 splits accounts with more
# promoters than detractors; 80% satisfied is a common CSAT target; 30% a common services-firm
# delivered-margin target.
WIN_WIN_NPS_THRESHOLD = 0.0
WIN_WIN_CSAT_THRESHOLD = 0.80
WIN_WIN_MARGIN_THRESHOLD = 0.30
QUADRANTS = ["win-win", "customer wins only", "business wins only", "lose-lose"]


def win_win_accounts(con, filters: Filters | Period = Filters(), nps_threshold: float = WIN_WIN_NPS_THRESHOLD,
                     margin_threshold: float = WIN_WIN_MARGIN_THRESHOLD, measure: str = "nps",
                     csat_threshold: float = WIN_WIN_CSAT_THRESHOLD) -> pd.DataFrame:
    """Accounts with answers and completed projects in the period, placed by their satisfaction
    (column ``nps`` or ``csat``, as ``measure``) and delivered margin into the four quadrants."""
    filters = Filters.of(filters)
    satisfaction_sql, satisfaction_params = account_satisfaction(filters, measure)
    where, params = filters.within("project", "actual_end_date")
    frame = con.execute(
        f"""WITH satisfaction AS ({satisfaction_sql}),
                 delivered AS (
                   SELECT account_id, count(*) AS projects, CAST(sum(revenue) AS DOUBLE) AS revenue,
                          CAST(sum(profit) AS DOUBLE) / NULLIF(CAST(sum(revenue) AS DOUBLE), 0) AS margin
                   FROM mart_project
                   WHERE is_delivered AND {where}
                   GROUP BY account_id)
            SELECT a.account_id, a.account_name, a.owner, s.answers, s.satisfaction AS {measure}, d.projects, d.revenue, d.margin
            FROM satisfaction AS s JOIN delivered AS d ON d.account_id = s.account_id
            JOIN dim_account AS a ON a.account_id = s.account_id
            ORDER BY d.revenue DESC""",
        satisfaction_params + params,
    ).df()
    threshold = nps_threshold if measure == "nps" else csat_threshold
    satisfied, profitable = frame[measure] >= threshold, frame["margin"] >= margin_threshold
    frame["quadrant"] = [QUADRANTS[0] if s and p else QUADRANTS[1] if s else QUADRANTS[2] if p else QUADRANTS[3]
                         for s, p in zip(satisfied, profitable)]
    return frame


def quadrant_shares(accounts: pd.DataFrame) -> pd.DataFrame:
    """Per quadrant of the win-win matrix: accounts, delivered revenue and its share."""
    shares = accounts.groupby("quadrant")[["revenue"]].agg(["count", "sum"])
    shares.columns = ["accounts", "revenue"]
    shares = shares.reindex(QUADRANTS).fillna(0).reset_index()
    total = shares["revenue"].sum()
    shares["revenue_share"] = shares["revenue"] / total if total else math.nan
    shares["accounts"] = shares["accounts"].astype(int)
    return shares


define("earned_growth", (
    "Per quarter, over the 12 months to its end (or to the data date, for a quarter still running: "
    "marked partial) against the 12 before: net revenue retention = won amount of the accounts that "
    "won the year before / their won amount then; referred new business = first won deals of accounts "
    "from customer referrals; earned growth rate = (retained + referred new) / the year before's won "
    "amount (Reichheld). Won amount stands in for revenue."
))
# Earned growth (Reichheld): a quarter's trailing year of won business against the year before.
GROWTH_WINDOW_MONTHS = 12


def earned_growth(con, filters: Filters | Period = Filters()) -> pd.DataFrame:
    """Per quarter in the period, over the trailing 12 months against the 12 before: net revenue
    retention, referred new business and the earned growth rate. A quarter still running at the
    data date is measured to the data date (``partial``), so it compares 12 months with 12."""
    filters = Filters.of(filters)
    scope, params_of_scope = filters.scope("deal")
    latest = data_date(con)
    # Deals before the first quarter's prior window count in no quarter: left in the warehouse.
    since = EARLIEST
    if filters.period.start:
        first_end = pd.Period(filters.period.start, freq="Q").end_time.date()
        first_end = min(first_end, latest) if latest else first_end
        since = add_months(add_months(first_end, -GROWTH_WINDOW_MONTHS), -GROWTH_WINDOW_MONTHS)
    deals = f"""SELECT account_number, close_date, CAST(amount AS DOUBLE) AS amount,
                       NOT is_rebusiness AND lead_source = 'customer_referral' AS referred
                FROM mart_won_deal WHERE close_date <= ? AND close_date > ? AND {scope}"""
    span = f"SELECT count(*), min(close_date), max(close_date) FROM ({deals})"
    found, earliest, newest = con.execute(span, [filters.period.params[1], since] + params_of_scope).fetchone()
    if not found and since != EARLIEST:  # only older deals: the quarters still run, from them
        found, earliest, newest = con.execute(span, [filters.period.params[1], EARLIEST] + params_of_scope).fetchone()
    columns = ["quarter", "prior_amount", "retained_amount", "referred_new", "nrr", "earned_growth_rate", "partial"]
    if not found:
        return pd.DataFrame(columns=columns)
    first = pd.Timestamp(filters.period.start or earliest)
    last = pd.Timestamp(min(filters.period.end or newest, latest or newest))
    windows = []  # per quarter: its name, whether it is partial, and its window's end, start and prior start
    for quarter in pd.period_range(first, last, freq="Q"):
        end = quarter.end_time.date()
        partial = latest is not None and end > latest
        end = min(end, latest) if latest else end
        start = add_months(end, -GROWTH_WINDOW_MONTHS)
        windows.append((str(quarter), partial, end, start, add_months(start, -GROWTH_WINDOW_MONTHS)))
    # One row of sums, quarter by quarter (SQL text by the number of quarters, dates as parameters):
    # the year before's amount and the referred new business over all deals; the retained amount
    # over each account's deals, kept where the account won in the year before.
    totals, accounts, retained, total_params, account_params = [], [], [], [], []
    for number, (_, _, end, start, prior_start) in enumerate(windows):
        totals += [f"sum(CASE WHEN close_date > ? AND close_date <= ? THEN amount END) AS prior_{number}",
                   f"sum(CASE WHEN close_date > ? AND close_date <= ? AND referred THEN amount END) AS referred_{number}"]
        total_params += [prior_start, start, start, end]
        accounts += [f"sum(CASE WHEN close_date > ? AND close_date <= ? THEN amount END) AS now_{number}",
                     f"count(CASE WHEN close_date > ? AND close_date <= ? THEN 1 END) AS prior_deals_{number}"]
        account_params += [start, end, prior_start, start]
        retained.append(f"sum(CASE WHEN prior_deals_{number} > 0 THEN now_{number} END) AS retained_{number}")
    deal_params = [filters.period.params[1], since] + params_of_scope
    sums = con.execute(
        f"""WITH deals AS ({deals}),
                 totals AS (SELECT {", ".join(totals)} FROM deals),
                 accounts AS (SELECT account_number, {", ".join(accounts)} FROM deals GROUP BY account_number),
                 retained AS (SELECT {", ".join(retained)} FROM accounts)
            SELECT * FROM totals CROSS JOIN retained""",
        deal_params + total_params + account_params,
    ).fetchone()
    rows = []
    for number, (quarter, partial, *_) in enumerate(windows):
        prior, referred = (float(value or 0) for value in sums[2 * number:2 * number + 2])
        retained = float(sums[2 * len(windows) + number] or 0)
        rows.append({"quarter": quarter, "prior_amount": prior, "retained_amount": retained, "referred_new": referred,
                     "nrr": retained / prior if prior else math.nan,
                     "earned_growth_rate": (retained + referred) / prior if prior else math.nan, "partial": partial})
    return pd.DataFrame(rows, columns=columns)
