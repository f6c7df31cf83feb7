"""The demo world: one reproducible B2B service firm, written out as its tools' own exports.

``write_demo(out, scale, seed)`` draws the world with NumPy (vectorised: no Python loop per
row), formats every export with one DuckDB query each (vendor date and money formats), and
streams it to CSV with pyarrow. Scale 1 is about 200 accounts, 3,000 deals, 2,000 projects,
600 escalations, 10,000 activities and 8,000 survey answers; ``scale`` multiplies all of them.

Planted effects (what the dashboard must recover; tests/test_effects.py checks it does):

| effect | size | where |
|---|---|---|
| satisfied accounts buy again | deal frequency x exp(0.7 s), win log-odds +0.4 s, per unit of account satisfaction s ~ N(0, 1); NPS = 8 + 1.5 s + noise | ``_accounts``, ``_opportunities``, ``_surveys`` |
| delivery-sourced leads win more | win log-odds +0.8 | ``_opportunities`` (DELIVERY_WIN_LOGIT) |
| ... and at a higher margin | planned margin +7 pts (re-business +3 pts) | ``_projects`` (DELIVERY_MARGIN_BONUS, REBUSINESS_MARGIN_BONUS) |
| no status reports from the seller: slip and overrun | slip +25 days, cost overrun +12 pts on average | ``_projects`` (NO_REPORT_SLIP_DAYS, NO_REPORT_OVERRUN) |
| sales involved: escalations resolve faster | median 36 h against 90 h | ``_escalations`` (RESOLVE_MEDIAN_HOURS) |
| late or over-budget projects: lower scores | answers about them score 2 NPS points (1 CSAT point) lower; 30% of answers name their project | ``_about_projects`` (DELIVERY_SCORE_PENALTY, PROJECT_REFERENCE_SHARE) |

What the metrics recover at scale 1, seed 7 is in the README ("The demo world").

Bad rows planted on purpose, so quarantine and matching show in the demo: 4% of survey answers
carry only an email (matched to the account by its website's domain) and 0.3% a private email
and no account (quarantined "no matching account").
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv

Progress = Callable[[str, float], None]

# The world's calendar: fixed, so a seed gives the same files on any day.
START, END = date(2023, 1, 1), date(2026, 10, 31)
SPAN_DAYS = (END - START).days
# Rows per table at scale 1 (the sizes).
SCALE_1 = {
    "accounts": 200, "opportunities": 3000, "projects": 2000, "escalations": 600,
    "activities": 10_000, "nps": 5000, "csat": 3000,
}
# Planted effects (see the module docstring).
SATISFACTION_DEAL_ELASTICITY = 0.7
SATISFACTION_WIN_LOGIT = 0.4
DELIVERY_WIN_LOGIT = 0.8
BASE_WIN_LOGIT = -0.5
DELIVERY_MARGIN_BONUS = 0.07
REBUSINESS_MARGIN_BONUS = 0.03
NO_REPORT_SLIP_DAYS = 25
NO_REPORT_OVERRUN = 0.12
RESOLVE_MEDIAN_HOURS = {True: 36.0, False: 90.0}
# Survey answers: mean score and its rise per unit of account satisfaction.
NPS_MEAN, NPS_PER_SATISFACTION = 8.0, 1.5
CSAT_MEAN, CSAT_PER_SATISFACTION = 3.9, 0.8
EMAIL_ONLY_SHARE, UNMATCHED_SHARE = 0.04, 0.003
# Delivery -> satisfaction: the share of answers (of those carrying their account id) that name the
# project they are about, dated from its start to ABOUT_PROJECT_AFTER_DAYS after its end, and how much
# lower an answer about a late or over-budget project scores (on the 0-10 and 1-5 scales).
PROJECT_REFERENCE_SHARE = 0.30
ABOUT_PROJECT_AFTER_DAYS = 90
DELIVERY_SCORE_PENALTY = {"nps": 2, "csat": 1}
LOWEST_SCORE = {"nps": 0, "csat": 1}
# Share of sellers who send status reports on their projects, and how reliably each kind does.
DILIGENT_SELLER_SHARE = 0.55
REPORT_PROBABILITY = {True: 0.85, False: 0.12}

FIRST = ["Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena", "Milo",
         "Nina", "Omar", "Pia", "Quin", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wes", "Xena", "Yuri", "Zoe",
         "Alba", "Bo", "Cyd", "Dana", "Emil", "Flo", "Gia", "Hugo", "Iris", "Jon", "Kim", "Lou", "Max", "Noor"]
LAST = ["Adams", "Berg", "Costa", "Dietz", "Evans", "Fischer", "Garcia", "Hale", "Ito", "Jensen", "Khan",
        "Lind", "Moreau", "Novak", "Olsen", "Park", "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Varga",
        "Weber", "Xu", "Young", "Zimmer", "Abe", "Bauer", "Chen", "Dubois", "Eriksen", "Ford", "Gray",
        "Horvat", "Ivanova", "Jovanovic", "Kowalski", "Lopez", "Meyer", "Nakamura"]
WORD1 = ["Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Soylent",
         "Tyrell", "Wonka", "Vandelay", "Hooli", "Pied", "Massive", "Oscorp", "Aperture", "Black Mesa",
         "Gringotts", "Monarch", "Nakatomi", "Virtucon", "Gekko", "Duff", "Sterling", "Dunder", "Bluth",
         "Prestige", "Wolfram", "Zorg", "Kramerica", "Octan", "Rekall", "Veidt", "Ajax", "Blue Sun",
         "Cobalt", "Delta", "Ember", "Fjord"]
WORD2 = ["Analytics", "Logistics", "Energy", "Retail", "Health", "Foods", "Motors", "Finance", "Media",
         "Telecom", "Pharma", "Insurance", "Airlines", "Robotics", "Textiles", "Chemicals", "Mining",
         "Shipping", "Software", "Hotels", "Banking", "Utilities", "Biotech", "Gaming", "Security",
         "Aerospace", "Steel", "Paper", "Water", "Glass", "Solar", "Dairy", "Rail", "Labs", "Works",
         "Systems", "Partners", "Capital", "Industries", "Holdings"]
SUFFIX = ["Inc.", "Group", "GmbH", "Ltd", "AG", "LLC"]
SEGMENTS = ["Enterprise", "Mid-Market", "SMB"]
SEGMENT_SHARE = [0.25, 0.40, 0.35]
# Median deal size and how many contacts / deals a segment brings, relative to SMB.
SEGMENT_DEAL_MEDIAN = [220_000, 90_000, 35_000]
SEGMENT_WEIGHT = [3.0, 1.6, 1.0]
REGIONS = ["EMEA", "North America", "APAC", "LATAM"]
REGION_SHARE = [0.4, 0.35, 0.15, 0.1]
TEAMS = ["Cloud Delivery", "Data & AI", "Managed Services", "Security", "ERP"]
# The sellers' sales teams (the CRM export's "Owner Role"): seller i is in team i mod 4, so the
# teams take no random draw and a seed gives every other value it gave before they existed.
SALES_TEAMS = ["Enterprise East", "Enterprise West", "Mid-market", "SMB desk"]
OFFERINGS = ["Cloud migration", "Data platform", "Managed service", "Security review", "ERP rollout",
             "Analytics pilot", "Support renewal", "Integration"]
# Vendor lead sources (as Salesforce picklists hold them), their canonical source, their share.
LEAD_SOURCES = [
    ("Delivery Referral", "delivery", 0.10), ("Employee Referral - PS", "delivery", 0.05),
    ("Web", "marketing", 0.14), ("Webinar", "marketing", 0.08), ("Trade Show", "marketing", 0.08),
    ("Outbound", "sales", 0.15), ("Cold Call", "sales", 0.10), ("Partner", "partner", 0.12),
    ("Customer Referral", "customer_referral", 0.10), ("Other", "other", 0.08),
]
OPEN_STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review"]
OPEN_STAGE_PROBABILITY = [10, 20, 30, 60, 80]
ACTIVITY_KINDS = ["Sales Meeting", "Joint Engagement", "QBR"]
ACTIVITY_KIND_SHARE = [0.45, 0.25, 0.30]
PRIORITIES = ["Highest", "High", "Medium", "Low"]
PRIORITY_SHARE = [0.1, 0.3, 0.45, 0.15]
CATEGORIES = ["Quality", "Schedule", "Scope", "Communication", "Billing"]
NPS_COMMENTS = ["Great team, delivered on time", "Solid work", "Good, but slow to respond",
                "Missed the deadline again", "Scope kept changing", "They understood our business", ""]
CSAT_COMMENTS = ["Nothing, keep it up", "Faster replies", "Clearer status reports", "Fewer handovers", ""]

SALESFORCE_FOOTER = [
    [], ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."],
    ["Confidential Information - Do Not Distribute"], ["Generated By:  Demo Admin  11/1/2026 9:00 AM"],
    ["Win-Win Demo Services Inc."],
]


def counts(scale: float) -> dict[str, int]:
    return {name: max(1, round(rows * scale)) for name, rows in SCALE_1.items()}


def write_demo(out: Path, scale: float = 1, seed: int = 7, progress: Progress = lambda message, done: None) -> list[Path]:
    """Write the seven exports into ``out``; the same scale and seed give the same bytes."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = counts(scale)
    people = _people(rng, scale)
    accounts = _accounts(rng, n["accounts"], people)
    opportunities = _opportunities(rng, n["opportunities"], accounts, people)
    projects, reports = _projects(rng, n["projects"], opportunities, accounts, people)
    activities = _activities(rng, n["activities"], reports, accounts, people)
    escalations = _escalations(rng, n["escalations"], projects, accounts)
    nps = _surveys(rng, n["nps"], accounts, "nps")
    csat = _surveys(rng, n["csat"], accounts, "csat")
    # A generator of its own, so the answers' other draws (and every other table) stay as they were.
    about = np.random.default_rng([seed, 14])
    nps, csat = (_about_projects(about, answers, projects, kind) for answers, kind in ((nps, "nps"), (csat, "csat")))

    con = duckdb.connect()
    for name, frame in [("accounts", accounts), ("opportunities", opportunities), ("projects", projects),
                        ("activities", activities), ("escalations", escalations), ("nps", nps), ("csat", csat)]:
        con.register(name, frame)
    con.register("people", pd.DataFrame({"person": np.arange(len(people["name"])), "person_name": people["name"],
                                         "sales_team": people["sales_team"]}))
    exports = [
        ("salesforce_accounts.csv", ACCOUNTS_SQL, [], True, SALESFORCE_FOOTER),
        ("salesforce_opportunities.csv", OPPORTUNITIES_SQL, [], True, SALESFORCE_FOOTER),
        ("salesforce_activities.csv", ACTIVITIES_SQL, [], True, SALESFORCE_FOOTER),
        ("kantata_projects.csv", PROJECTS_SQL, [], False, []),
        ("jira_escalations.csv", ESCALATIONS_SQL, [], False, []),
        ("qualtrics_nps.csv", QUALTRICS_SQL, QUALTRICS_EXTRA_HEADERS, False, []),
        ("surveymonkey_csat.csv", SURVEYMONKEY_SQL, SURVEYMONKEY_EXTRA_HEADERS, False, []),
    ]
    written = []
    for number, (file_name, sql, extra_headers, quote_all, footer) in enumerate(exports, start=1):
        path = out / file_name
        progress(f"writing {file_name}", (number - 1) / len(exports))
        _write_csv(con, path, sql, extra_headers, quote_all, footer)
        written.append(path)
    con.close()
    return written


# --- Drawing the world (NumPy) ---------------------------------------------------------------


def _people(rng, scale: float) -> dict:
    """Everyone the firm employs: sellers, account managers, delivery managers (one name list)."""
    sellers, managers, delivery = (max(minimum, round(k * scale)) for k, minimum in ((15, 4), (8, 2), (25, 5)))
    total = sellers + managers + delivery
    index = np.arange(total)
    names = [f"{FIRST[i % 40]} {LAST[(i // 40 + 17 * i) % 40]}" + (f" {i // 1600 + 1}" if i >= 1600 else "") for i in range(total)]
    return {
        "name": names,
        "sellers": index[:sellers],
        "managers": index[sellers:sellers + managers],
        "delivery": index[sellers + managers:],
        "sales_team": np.where(index < sellers, np.asarray(SALES_TEAMS, dtype=object)[index % len(SALES_TEAMS)], None),
        "team": rng.integers(0, len(TEAMS), total),
        "diligent": rng.random(total) < DILIGENT_SELLER_SHARE,
    }


def _accounts(rng, n: int, people: dict) -> pd.DataFrame:
    segment = rng.choice(len(SEGMENTS), n, p=SEGMENT_SHARE)
    return pd.DataFrame({
        "account": np.arange(n),
        "segment": segment,
        "region": rng.choice(len(REGIONS), n, p=REGION_SHARE),
        "manager": rng.choice(people["managers"], n),
        "seller": rng.choice(people["sellers"], n),
        "satisfaction": rng.standard_normal(n),
        "weight": np.asarray(SEGMENT_WEIGHT)[segment],
        # The day the firm won the client; a third were clients before the data starts.
        "since": np.clip(rng.uniform(-0.5, 0.9, n) * SPAN_DAYS, 0, None).astype(int),
    })


def _opportunities(rng, n: int, accounts: pd.DataFrame, people: dict) -> pd.DataFrame:
    s = accounts["satisfaction"].to_numpy()
    weight = _client_weight(accounts) * np.exp(SATISFACTION_DEAL_ELASTICITY * s)
    account = rng.choice(len(accounts), n, p=weight / weight.sum())
    created = _days_since(rng, accounts, account)
    close = created + 10 + np.round(rng.gamma(2.0, 35.0, n)).astype(int)
    source = rng.choice(len(LEAD_SOURCES), n, p=[share for *_, share in LEAD_SOURCES])
    is_delivery = np.array([canonical == "delivery" for _, canonical, _ in LEAD_SOURCES])[source]
    segment = accounts["segment"].to_numpy()[account]
    logit = BASE_WIN_LOGIT + SATISFACTION_WIN_LOGIT * s[account] + DELIVERY_WIN_LOGIT * is_delivery
    closed = close <= SPAN_DAYS
    won = closed & (rng.random(n) < 1 / (1 + np.exp(-logit)))
    amount = np.round(np.asarray(SEGMENT_DEAL_MEDIAN)[segment] * rng.lognormal(0, 0.6, n), -2)
    frame = pd.DataFrame({
        "opportunity": np.arange(n), "account": account, "created": created, "close": close,
        "source": source, "is_delivery": is_delivery, "closed": closed, "won": won, "amount": amount,
        "owner": accounts["seller"].to_numpy()[account],
        "referrer": np.where(is_delivery, rng.choice(people["delivery"], n), -1),
        "open_stage": rng.integers(0, len(OPEN_STAGES), n),
        "offering": rng.integers(0, len(OFFERINGS), n),
        "renewal": rng.random(n) < 0.2,
    })
    by_created = frame.sort_values(["account", "created", "opportunity"])
    frame["first_deal"] = False
    frame.loc[by_created.groupby("account").head(1).index, "first_deal"] = True
    # Re-business as DOMAIN.md defines it: a win after an earlier win of the same account.
    wins = frame[frame["won"]].sort_values(["account", "close", "opportunity"])
    earlier_win_close = wins.groupby("account")["close"].transform("min")
    frame["rebusiness"] = False
    frame.loc[wins.index[(wins["close"] > earlier_win_close).to_numpy()], "rebusiness"] = True
    return frame


def _client_weight(accounts: pd.DataFrame) -> np.ndarray:
    """How much an account buys, answers and meets: its segment's size times its days as a client."""
    return accounts["weight"].to_numpy() * (SPAN_DAYS - accounts["since"].to_numpy())


def _days_since(rng, accounts: pd.DataFrame, account: np.ndarray) -> np.ndarray:
    """A day in each account's time as a client: from the day it was won to the data's end."""
    since = accounts["since"].to_numpy()[account]
    return since + (rng.random(len(account)) * (SPAN_DAYS - since)).astype(int)


def _projects(rng, n: int, opportunities: pd.DataFrame, accounts: pd.DataFrame, people: dict):
    """Projects of won deals; returns them and the seller's status reports sent during them."""
    won = opportunities.index[opportunities["won"]].to_numpy()
    if len(won) == 0:
        won = opportunities.index.to_numpy()[:1]
    first = rng.permutation(won)[: min(n, len(won))]
    opp = np.concatenate([first, rng.choice(won, n - len(first))])
    deals = opportunities.loc[opp]
    per_deal = np.bincount(opp, minlength=len(opportunities))[opp]
    revenue = np.round(deals["amount"].to_numpy() / per_deal, 2)
    start = deals["close"].to_numpy() + rng.integers(7, 150, n)
    planned_end = start + rng.integers(45, 270, n)
    owner = deals["owner"].to_numpy()
    reports_sent = (rng.random(n) < np.where(people["diligent"][owner], *REPORT_PROBABILITY.values())) & (start < SPAN_DAYS)
    slip = np.round(np.where(reports_sent, rng.normal(3, 12, n), rng.normal(3 + NO_REPORT_SLIP_DAYS, 20, n))).astype(int)
    overrun = np.where(reports_sent, rng.normal(0.02, 0.07, n), rng.normal(0.02 + NO_REPORT_OVERRUN, 0.10, n))
    margin = (rng.uniform(0.22, 0.38, n) + DELIVERY_MARGIN_BONUS * deals["is_delivery"].to_numpy()
              + REBUSINESS_MARGIN_BONUS * deals["rebusiness"].to_numpy())
    budget = np.round(revenue * (1 - margin), 2)
    actual_end = planned_end + slip
    done = actual_end <= SPAN_DAYS
    elapsed = np.clip((SPAN_DAYS - start) / np.maximum(actual_end - start, 1), 0, 1)
    actual_cost = np.round(budget * (1 + overrun) * np.where(done, 1, elapsed), 2)
    manager = rng.choice(people["delivery"], n)
    projects = pd.DataFrame({
        "project": np.arange(n), "opportunity": opp, "account": deals["account"].to_numpy(),
        "manager": manager, "team": people["team"][manager], "start": start, "planned_end": planned_end,
        "actual_end": np.where(done, actual_end, -1), "budget": budget, "actual_cost": actual_cost,
        "revenue": revenue, "offering": deals["offering"].to_numpy(),
    })
    # 1-4 status reports by the seller, dated inside the project's run (to the data date at most).
    sent = np.flatnonzero(reports_sent)
    per_project = 1 + rng.poisson(1.2, len(sent)).clip(max=3)
    which = np.repeat(sent, per_project)
    last_day = np.minimum(np.where(done, actual_end, planned_end), SPAN_DAYS)[which]
    day = start[which] + (rng.random(len(which)) * (last_day - start[which] + 1)).astype(int)
    reports = pd.DataFrame({
        "account": projects["account"].to_numpy()[which], "day": day, "kind": "Status Report",
        "seller": owner[which], "delivery": manager[which],
    })
    return projects, reports


def _activities(rng, n: int, reports: pd.DataFrame, accounts: pd.DataFrame, people: dict) -> pd.DataFrame:
    """The status reports plus meetings, joint engagements and QBRs up to ``n`` activities in all."""
    rest = max(0, n - len(reports))
    weight = _client_weight(accounts)
    account = rng.choice(len(accounts), rest, p=weight / weight.sum())
    kind = np.asarray(ACTIVITY_KINDS)[rng.choice(len(ACTIVITY_KINDS), rest, p=ACTIVITY_KIND_SHARE)]
    with_delivery = (kind == "Joint Engagement") | (rng.random(rest) < 0.35)
    others = pd.DataFrame({
        "account": account, "day": _days_since(rng, accounts, account), "kind": kind,
        "seller": accounts["seller"].to_numpy()[account],
        "delivery": np.where(with_delivery, rng.choice(people["delivery"], rest), -1),
    })
    frame = pd.concat([reports, others], ignore_index=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)  # a report lists by date, not by kind
    frame["activity"] = np.arange(len(frame))
    return frame


def _escalations(rng, n: int, projects: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    started = projects[projects["start"] < SPAN_DAYS]
    if started.empty:
        started = projects.iloc[:1]
    s = accounts["satisfaction"].to_numpy()[started["account"].to_numpy()]
    weight = np.exp(-0.5 * s)
    pick = rng.choice(len(started), n, p=weight / weight.sum())
    chosen = started.iloc[pick]
    start = chosen["start"].to_numpy()
    last = np.minimum(np.where(chosen["actual_end"] >= 0, chosen["actual_end"], SPAN_DAYS), SPAN_DAYS)
    opened = start * 86_400 + rng.random(n) * (np.maximum(last - start, 1) * 86_400)
    opened = (opened // 60) * 60  # Jira shows minutes
    sales = rng.random(n) < 0.35
    median = np.where(sales, RESOLVE_MEDIAN_HOURS[True], RESOLVE_MEDIAN_HOURS[False])
    hours = median * rng.lognormal(0, 0.8, n)
    resolved = opened + np.round(hours * 60) * 60
    is_resolved = resolved <= (SPAN_DAYS + 1) * 86_400
    return pd.DataFrame({
        "escalation": np.arange(n), "project": chosen["project"].to_numpy(), "account": chosen["account"].to_numpy(),
        "manager": chosen["manager"].to_numpy(), "opened": opened, "resolved": np.where(is_resolved, resolved, np.nan),
        "priority": rng.choice(len(PRIORITIES), n, p=PRIORITY_SHARE), "sales": sales,
        "category": rng.integers(0, len(CATEGORIES), n),
    })


def _surveys(rng, n: int, accounts: pd.DataFrame, kind: str) -> pd.DataFrame:
    weight = _client_weight(accounts)
    account = rng.choice(len(accounts), n, p=weight / weight.sum())
    s = accounts["satisfaction"].to_numpy()[account]
    if kind == "nps":
        score = np.clip(np.round(NPS_MEAN + NPS_PER_SATISFACTION * s + rng.normal(0, 1.3, n)), 0, 10)
    else:
        score = np.clip(np.round(CSAT_MEAN + CSAT_PER_SATISFACTION * s + rng.normal(0, 0.8, n)), 1, 5)
    kept = rng.random(n)
    return pd.DataFrame({
        "response": np.arange(n), "account": account, "score": score.astype(int),
        "seconds": _days_since(rng, accounts, account) * 86_400 + rng.integers(8 * 3600, 18 * 3600, n),
        "duration": rng.integers(40, 600, n),
        "given": rng.integers(0, len(FIRST), n), "family": rng.integers(0, len(LAST), n),
        # 0: account id given; 1: email only (matched by domain); 2: private email, no account
        "identity": np.where(kept < UNMATCHED_SHARE, 2, np.where(kept < UNMATCHED_SHARE + EMAIL_ONLY_SHARE, 1, 0)),
        "comment": rng.integers(0, len(NPS_COMMENTS if kind == "nps" else CSAT_COMMENTS), n),
    })


def _about_projects(rng, answers: pd.DataFrame, projects: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A share of the answers name a completed project of their account (``project``, else -1) and
    are dated inside it; those about a late or over-budget project score lower (the planted
    delivery -> satisfaction effect, shifted after rounding so the metrics can recover it whole)."""
    done = projects[projects["actual_end"] >= 0].sort_values(["account", "project"])
    account = answers["account"].to_numpy()
    per_account = np.bincount(done["account"].to_numpy(), minlength=account.max() + 1)[account]
    first = np.concatenate([[0], np.cumsum(np.bincount(done["account"].to_numpy(), minlength=account.max() + 1))])[account]
    about = (per_account > 0) & (answers["identity"].to_numpy() == 0) & (rng.random(len(answers)) < PROJECT_REFERENCE_SHARE)
    chosen = done.iloc[np.where(about, first + (rng.random(len(answers)) * np.maximum(per_account, 1)).astype(int), 0)]
    start, end = chosen["start"].to_numpy(), chosen["actual_end"].to_numpy()
    last = np.minimum(end + ABOUT_PROJECT_AFTER_DAYS, SPAN_DAYS)
    day = start + (rng.random(len(answers)) * (last - start + 1)).astype(int)
    troubled = (end > chosen["planned_end"].to_numpy()) | (chosen["actual_cost"].to_numpy() > chosen["budget"].to_numpy())
    answers = answers.copy()
    answers["project"] = np.where(about, chosen["project"].to_numpy(), -1)
    answers["seconds"] = np.where(about, day * 86_400 + answers["seconds"].to_numpy() % 86_400, answers["seconds"].to_numpy())
    lowered = np.maximum(answers["score"].to_numpy() - DELIVERY_SCORE_PENALTY[kind], LOWEST_SCORE[kind])
    answers["score"] = np.where(about & troubled, lowered, answers["score"].to_numpy())
    return answers


# --- Writing the exports (DuckDB formats, pyarrow streams) -----------------------------------

# SQL fragments shared by the exports below (DuckDB dialect: this is the generator, not a model).
ACCOUNT_ID = "'0015g' || lpad(CAST({0} AS VARCHAR), 10, '0') || 'AAA'"
ACCOUNT_NAME = (
    "(list_value({w1})[{0} % 40 + 1] || ' ' || list_value({w2})[({0} // 40) % 40 + 1] || ' ' "
    "|| list_value({sx})[({0} // 1600) % 6 + 1] || CASE WHEN {0} >= 9600 THEN ' ' || CAST({0} // 9600 + 1 AS VARCHAR) ELSE '' END)"
)
DOMAIN = (
    "(lower(replace(list_value({w1})[{0} % 40 + 1] || list_value({w2})[({0} // 40) % 40 + 1], ' ', ''))"
    " || CASE WHEN {0} >= 1600 THEN '-' || CAST({0} // 1600 AS VARCHAR) ELSE '' END || '.com')"
)


def _literals(values: list[str]) -> str:
    """The generator's own word lists as SQL literals (no user text ever reaches this)."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _fill(template: str, column: str) -> str:
    return template.format(column, w1=_literals(WORD1), w2=_literals(WORD2), sx=_literals(SUFFIX))


def _pick(values: list[str], index: str) -> str:
    return f"list_value({_literals(values)})[{index} + 1]"


# Days and seconds since START, as DuckDB dates and timestamps.
DAY = f"(DATE '{START.isoformat()}' + CAST({{0}} AS INTEGER))"
SECOND = f"(TIMESTAMP '{START.isoformat()} 00:00:00' + to_seconds(CAST({{0}} AS BIGINT)))"
PERSON = "(SELECT person_name FROM people WHERE person = {0})"
SALES_TEAM = "(SELECT sales_team FROM people WHERE person = {0})"
SALESFORCE_DATE = "strftime({0}, '%-m/%-d/%Y')"

ACCOUNTS_SQL = f"""
SELECT {PERSON.format('manager')} AS "Account Owner", {_fill(ACCOUNT_NAME, 'account')} AS "Account Name",
       {ACCOUNT_ID.format('account')} AS "Account ID", {_pick(SEGMENTS, 'segment')} AS "Customer Segment",
       {_pick(REGIONS, 'region')} AS "Sales Region", 'www.' || {_fill(DOMAIN, 'account')} AS "Website",
       'Customer' AS "Type"
FROM accounts ORDER BY account"""

OPPORTUNITIES_SQL = f"""
SELECT {PERSON.format('owner')} AS "Opportunity Owner", {SALES_TEAM.format('owner')} AS "Owner Role",
       {_fill(ACCOUNT_NAME, 'account')} AS "Account Name",
       {ACCOUNT_ID.format('account')} AS "Account ID",
       {_fill(ACCOUNT_NAME, 'account')} || ' - ' || {_pick(OFFERINGS, 'offering')} AS "Opportunity Name",
       '0065g' || lpad(CAST(opportunity AS VARCHAR), 10, '0') || 'AAA' AS "Opportunity ID",
       CASE WHEN won THEN 'Closed Won' WHEN closed THEN 'Closed Lost' ELSE {_pick(OPEN_STAGES, 'open_stage')} END AS "Stage",
       'USD ' || format('{{:,.2f}}', amount) AS "Amount",
       CAST(CASE WHEN won THEN 100 WHEN closed THEN 0 ELSE list_value({', '.join(map(str, OPEN_STAGE_PROBABILITY))})[open_stage + 1] END AS VARCHAR) AS "Probability (%)",
       {SALESFORCE_DATE.format(DAY.format('created'))} AS "Created Date",
       {SALESFORCE_DATE.format(DAY.format('close'))} AS "Close Date",
       {_pick([label for label, *_ in LEAD_SOURCES], 'source')} AS "Lead Source",
       CASE WHEN first_deal THEN 'New Business' WHEN renewal THEN 'Renewal' ELSE 'Existing Business' END AS "Type",
       CASE WHEN referrer >= 0 THEN {PERSON.format('referrer')} END AS "Referred By"
FROM opportunities ORDER BY opportunity"""

ACTIVITIES_SQL = f"""
SELECT '00T5g' || lpad(CAST(activity AS VARCHAR), 10, '0') || 'AAA' AS "Activity ID",
       kind || ' - ' || {_fill(ACCOUNT_NAME, 'account')} AS "Subject",
       {ACCOUNT_ID.format('account')} AS "Account ID", {_fill(ACCOUNT_NAME, 'account')} AS "Account Name",
       {SALESFORCE_DATE.format(DAY.format('day'))} AS "Date", kind AS "Activity Type",
       {PERSON.format('seller')} AS "Assigned",
       CASE WHEN delivery >= 0 THEN {PERSON.format('delivery')} END AS "Delivery Participant",
       'Completed' AS "Status"
FROM activities ORDER BY activity"""

PROJECTS_SQL = f"""
SELECT 'P-' || lpad(CAST(project + 1 AS VARCHAR), 7, '0') AS "Project ID",
       {_pick(OFFERINGS, 'offering')} || ' for ' || {_fill(ACCOUNT_NAME, 'account')} AS "Project Title",
       {_fill(ACCOUNT_NAME, 'account')} AS "Client Name",
       {ACCOUNT_ID.format('account')} AS "Salesforce Account ID",
       '0065g' || lpad(CAST(opportunity AS VARCHAR), 10, '0') || 'AAA' AS "Salesforce Opportunity ID",
       {_pick(TEAMS, 'team')} AS "Group", {PERSON.format('manager')} AS "Project Lead",
       CAST({DAY.format('start')} AS VARCHAR) AS "Start Date",
       CAST({DAY.format('planned_end')} AS VARCHAR) AS "Due Date",
       CASE WHEN actual_end >= 0 THEN CAST({DAY.format('actual_end')} AS VARCHAR) END AS "Completed Date",
       CASE WHEN actual_end >= 0 THEN 'Completed' WHEN start > {SPAN_DAYS} THEN 'Not Started' ELSE 'Active' END AS "Status",
       '$' || format('{{:,.2f}}', budget) AS "Budget (Cost)", '$' || format('{{:,.2f}}', actual_cost) AS "Actual Cost",
       '$' || format('{{:,.2f}}', revenue) AS "Fees (Revenue)"
FROM projects ORDER BY project"""

JIRA_TIME = "strftime({0}, '%d/%b/%y %-I:%M %p')"
ESCALATIONS_SQL = f"""
SELECT {_pick(CATEGORIES, 'category')} || ' issue at ' || {_fill(ACCOUNT_NAME, 'account')} AS "Summary",
       'ESC-' || CAST(escalation + 1 AS VARCHAR) AS "Issue key", CAST(10000 + escalation AS VARCHAR) AS "Issue id",
       'Escalation' AS "Issue Type", CASE WHEN resolved IS NULL THEN 'Open' ELSE 'Done' END AS "Status",
       {_pick(PRIORITIES, 'priority')} AS "Priority", CASE WHEN resolved IS NOT NULL THEN 'Done' END AS "Resolution",
       {PERSON.format('manager')} AS "Assignee", 'Client PMO' AS "Reporter",
       {JIRA_TIME.format(SECOND.format('opened'))} AS "Created",
       {JIRA_TIME.format(SECOND.format('COALESCE(resolved, opened)'))} AS "Updated",
       CASE WHEN resolved IS NOT NULL THEN {JIRA_TIME.format(SECOND.format('resolved'))} END AS "Resolved",
       {ACCOUNT_ID.format('account')} AS "Custom field (Account ID)",
       'P-' || lpad(CAST(project + 1 AS VARCHAR), 7, '0') AS "Custom field (Project ID)",
       CASE WHEN sales THEN 'Yes' ELSE 'No' END AS "Custom field (Sales Involved)",
       {_pick(CATEGORIES, 'category')} AS "Custom field (Escalation Category)"
FROM escalations ORDER BY escalation"""

EMAIL = (
    "lower(list_value({f})[given + 1] || '.' || list_value({l})[family + 1]) || '@' || "
    "CASE WHEN identity = 2 THEN 'gmail.com' ELSE {d} END"
).format(f=_literals(FIRST), l=_literals(LAST), d=_fill(DOMAIN, "account"))
ACCOUNT_OR_BLANK = f"CASE WHEN identity = 0 THEN {ACCOUNT_ID.format('account')} END"
PROJECT_OR_BLANK = "CASE WHEN project >= 0 THEN 'P-' || lpad(CAST(project + 1 AS VARCHAR), 7, '0') END"

QUALTRICS_SQL = f"""
SELECT strftime({SECOND.format('seconds - duration')}, '%Y-%m-%d %H:%M:%S') AS "StartDate",
       strftime({SECOND.format('seconds')}, '%Y-%m-%d %H:%M:%S') AS "EndDate",
       'IP Address' AS "Status", '10.' || CAST(response % 250 AS VARCHAR) || '.' || CAST((response // 250) % 250 AS VARCHAR) || '.7' AS "IPAddress",
       '100' AS "Progress", CAST(duration AS VARCHAR) AS "Duration (in seconds)", 'True' AS "Finished",
       strftime({SECOND.format('seconds')}, '%Y-%m-%d %H:%M:%S') AS "RecordedDate",
       'R_' || lpad(upper(to_hex((response * 2654435761 + 97) % 1152921504606846976)), 15, '0') AS "ResponseId",
       list_value({_literals(LAST)})[family + 1] AS "RecipientLastName",
       list_value({_literals(FIRST)})[given + 1] AS "RecipientFirstName",
       {EMAIL} AS "RecipientEmail", CAST(NULL AS VARCHAR) AS "ExternalReference", CAST(NULL AS VARCHAR) AS "LocationLatitude",
       CAST(NULL AS VARCHAR) AS "LocationLongitude", 'email' AS "DistributionChannel", 'EN' AS "UserLanguage",
       CAST(score AS VARCHAR) AS "Q1",
       CASE WHEN score >= 9 THEN '3' WHEN score >= 7 THEN '2' ELSE '1' END AS "Q1_NPS_GROUP",
       {_pick(NPS_COMMENTS, 'comment')} AS "Q2", {ACCOUNT_OR_BLANK} AS "AccountID", {PROJECT_OR_BLANK} AS "ProjectID"
FROM nps ORDER BY seconds, response"""
QUESTION_NPS = "How likely are you to recommend us to a friend or colleague?"
QUALTRICS_EXTRA_HEADERS = [
    ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)", "Finished",
     "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name", "Recipient Email",
     "External Data Reference", "Location Latitude", "Location Longitude", "Distribution Channel",
     "User Language", QUESTION_NPS, f"{QUESTION_NPS} - Group", "What is the main reason for your score?", "AccountID",
     "ProjectID"],
    ['{"ImportId":"startDate","timeZone":"America/Denver"}', '{"ImportId":"endDate","timeZone":"America/Denver"}',
     '{"ImportId":"status"}', '{"ImportId":"ipAddress"}', '{"ImportId":"progress"}', '{"ImportId":"duration"}',
     '{"ImportId":"finished"}', '{"ImportId":"recordedDate","timeZone":"America/Denver"}', '{"ImportId":"_recordId"}',
     '{"ImportId":"recipientLastName"}', '{"ImportId":"recipientFirstName"}', '{"ImportId":"recipientEmail"}',
     '{"ImportId":"externalDataReference"}', '{"ImportId":"locationLatitude"}', '{"ImportId":"locationLongitude"}',
     '{"ImportId":"distributionChannel"}', '{"ImportId":"userLanguage"}', '{"ImportId":"QID1"}',
     '{"ImportId":"QID1_NPS_GROUP"}', '{"ImportId":"QID2_TEXT"}', '{"ImportId":"AccountID"}', '{"ImportId":"ProjectID"}'],
]

SURVEYMONKEY_TIME = "strftime({0}, '%m/%d/%Y %I:%M:%S %p')"
SURVEYMONKEY_SQL = f"""
SELECT CAST(11400000000 + response AS VARCHAR) AS "Respondent ID", '400000001' AS "Collector ID",
       {SURVEYMONKEY_TIME.format(SECOND.format('seconds - duration'))} AS "Start Date",
       {SURVEYMONKEY_TIME.format(SECOND.format('seconds'))} AS "End Date",
       '10.' || CAST(response % 250 AS VARCHAR) || '.' || CAST((response // 250) % 250 AS VARCHAR) || '.9' AS "IP Address",
       {EMAIL} AS "Email Address", list_value({_literals(FIRST)})[given + 1] AS "First Name",
       list_value({_literals(LAST)})[family + 1] AS "Last Name", {ACCOUNT_OR_BLANK} AS "Custom Data 1",
       CAST(score AS VARCHAR) AS "Overall, how satisfied are you with our service?",
       {_pick(CSAT_COMMENTS, 'comment')} AS "What could we do better?", {PROJECT_OR_BLANK} AS "Custom Data 2"
FROM csat ORDER BY seconds, response"""
SURVEYMONKEY_EXTRA_HEADERS = [["", "", "", "", "", "", "", "", "", "Response", "Open-Ended Response", ""]]

# Rows per streamed batch: bounds memory at scale 400 (millions of rows per file).
BATCH_ROWS = 200_000


def _write_csv(con, path: Path, sql: str, extra_headers: list[list[str]], quote_all: bool, footer: list[list[str]]) -> None:
    """Header line(s), the body streamed in batches, then the footer lines a report export carries."""
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    style = "all_valid" if quote_all else "needed"
    with open(path, "w", encoding="utf-8", newline="") as text:
        lines = csv.writer(text, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n")
        lines.writerow(reader.schema.names)
        lines.writerows(extra_headers)
        text.flush()
        with pa_csv.CSVWriter(text.buffer, reader.schema,
                              write_options=pa_csv.WriteOptions(include_header=False, quoting_style=style)) as body:
            for batch in reader:
                body.write_batch(batch)
        text.buffer.flush()
        lines.writerows(footer)
