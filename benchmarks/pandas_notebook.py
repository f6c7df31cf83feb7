"""The alternative Win-Win is measured against: the same ingest, marts and headline KPIs in pandas.

Written the way an analyst would in a notebook: ``pd.read_csv`` each export with its vendor's
header rows and formats, the same checks the warehouse quarantines on (rows without a key, an
account or a valid score are dropped, duplicates keep the last row), the same re-business,
delivered-margin and NPS definitions (pipelines/models/marts/*.sql, pipelines/metrics.py),
and the headline KPIs of the last 12 months of data and of the 12 months before. It keeps no
warehouse between sessions and no lineage or quarantine table, so it does less work than the
pipeline it is compared with.

    python -m benchmarks.pandas_notebook EXPORTS_FOLDER [--start YYYY-MM-DD --end YYYY-MM-DD]

prints the KPIs as JSON (tests/test_benchmarks.py checks they equal the warehouse's).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

# The vendor formats of the demo's exports (as in pipelines/sources/*.yaml).
SALESFORCE_DATE = "%m/%d/%Y"
KANTATA_DATE = "%Y-%m-%d"
JIRA_TIME = "%d/%b/%y %I:%M %p"
QUALTRICS_TIME = "%Y-%m-%d %H:%M:%S"
SURVEYMONKEY_TIME = "%m/%d/%Y %I:%M:%S %p"
LEAD_SOURCES = {
    "Delivery Referral": "delivery", "Employee Referral - PS": "delivery", "Employee Referral – PS": "delivery",
    "Web": "marketing", "Webinar": "marketing", "Trade Show": "marketing", "Advertisement": "marketing",
    "Outbound": "sales", "Cold Call": "sales", "Partner": "partner", "Partner Referral": "partner",
    "Customer Referral": "customer_referral", "Other": "other",
}
ACTIVITY_TYPES = {"Status Report": "status_report", "Sales Meeting": "sales_meeting",
                  "Joint Engagement": "joint_engagement", "QBR": "qbr", "Quarterly Business Review": "qbr"}
SCORE_RANGES = {"nps": (0, 10), "csat": (1, 5)}
FOLLOW_UP_MONTHS = 12


def money(column: pd.Series) -> pd.Series:
    """'USD 185,800.00' / '$79,932.78' -> 185800.0"""
    return pd.to_numeric(column.str.replace(r"[^0-9.\-]", "", regex=True), errors="coerce")


def read_salesforce(path: Path, key: str) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str)
    return frame[frame[key].notna()]  # the report's footer lines have only a first cell


def last_per_key(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame[frame[key].notna()].drop_duplicates(key, keep="last")


def load(folder: Path) -> dict[str, pd.DataFrame]:
    accounts = read_salesforce(folder / "salesforce_accounts.csv", "Account ID")
    accounts = last_per_key(pd.DataFrame({
        "account_id": accounts["Account ID"], "account_name": accounts["Account Name"],
        "website": accounts["Website"],
    }), "account_id")

    deals = read_salesforce(folder / "salesforce_opportunities.csv", "Opportunity ID")
    deals = pd.DataFrame({
        "opportunity_id": deals["Opportunity ID"], "account_id": deals["Account ID"], "owner": deals["Opportunity Owner"],
        "is_won": deals["Stage"] == "Closed Won", "is_closed": deals["Stage"].isin(["Closed Won", "Closed Lost"]),
        "created_date": pd.to_datetime(deals["Created Date"], format=SALESFORCE_DATE),
        "close_date": pd.to_datetime(deals["Close Date"], format=SALESFORCE_DATE),
        "amount": money(deals["Amount"]), "lead_source": deals["Lead Source"].map(LEAD_SOURCES),
    })
    deals = last_per_key(deals.dropna(subset=["account_id", "close_date"]), "opportunity_id")
    deals = deals[~(deals["amount"] < 0)]

    projects = pd.read_csv(folder / "kantata_projects.csv", dtype=str)
    projects = pd.DataFrame({
        "project_id": projects["Project ID"], "opportunity_id": projects["Salesforce Opportunity ID"],
        "account_id": projects["Salesforce Account ID"],
        "start_date": pd.to_datetime(projects["Start Date"], format=KANTATA_DATE),
        "planned_end_date": pd.to_datetime(projects["Due Date"], format=KANTATA_DATE),
        "actual_end_date": pd.to_datetime(projects["Completed Date"], format=KANTATA_DATE),
        "budget_cost": money(projects["Budget (Cost)"]), "actual_cost": money(projects["Actual Cost"]),
        "revenue": money(projects["Fees (Revenue)"]),
    })
    projects = last_per_key(projects.dropna(subset=["account_id"]), "project_id")
    projects = projects[~(projects[["budget_cost", "actual_cost", "revenue"]] < 0).any(axis=1)]

    activities = read_salesforce(folder / "salesforce_activities.csv", "Activity ID")
    activities = pd.DataFrame({
        "activity_id": activities["Activity ID"], "account_id": activities["Account ID"],
        "activity_date": pd.to_datetime(activities["Date"], format=SALESFORCE_DATE),
        "activity_type": activities["Activity Type"].map(ACTIVITY_TYPES), "sales_participant": activities["Assigned"],
    })
    activities = last_per_key(activities.dropna(subset=["account_id", "activity_date", "activity_type"]), "activity_id")

    escalations = pd.read_csv(folder / "jira_escalations.csv", dtype=str)
    escalations = pd.DataFrame({
        "escalation_id": escalations["Issue key"], "account_id": escalations["Custom field (Account ID)"],
        "opened_at": pd.to_datetime(escalations["Created"], format=JIRA_TIME),
        "resolved_at": pd.to_datetime(escalations["Resolved"], format=JIRA_TIME),
        "sales_involved": escalations["Custom field (Sales Involved)"].map({"Yes": True, "No": False}),
    })
    escalations = last_per_key(escalations.dropna(subset=["account_id", "opened_at"]), "escalation_id")

    nps = pd.read_csv(folder / "qualtrics_nps.csv", dtype=str, skiprows=[1, 2])  # Qualtrics: 3 header rows
    csat = pd.read_csv(folder / "surveymonkey_csat.csv", dtype=str, skiprows=[1])  # SurveyMonkey: 2
    answers = pd.concat([
        pd.DataFrame({"response_id": nps["ResponseId"], "account_id": nps["AccountID"], "contact": nps["RecipientEmail"],
                      "responded_at": pd.to_datetime(nps["RecordedDate"], format=QUALTRICS_TIME),
                      "score": pd.to_numeric(nps["Q1"]), "survey_type": "nps"}),
        pd.DataFrame({"response_id": csat["Respondent ID"], "account_id": csat["Custom Data 1"],
                      "contact": csat["Email Address"],
                      "responded_at": pd.to_datetime(csat["End Date"], format=SURVEYMONKEY_TIME),
                      "score": pd.to_numeric(csat["Overall, how satisfied are you with our service?"]),
                      "survey_type": "csat"}),
    ], ignore_index=True)
    # Answers with only an email: the account whose website has the email's domain.
    domains = accounts.assign(domain=accounts["website"].str.lower().str.replace(r"^(https?://)?(www\.)?", "", regex=True)
                              .str.split("/").str[0])
    by_domain = domains.dropna(subset=["domain"]).groupby("domain")["account_id"].min()
    missing = answers["account_id"].isna()
    answers.loc[missing, "account_id"] = answers.loc[missing, "contact"].str.split("@").str[1].str.lower().map(by_domain)
    low = answers["survey_type"].map({k: v[0] for k, v in SCORE_RANGES.items()})
    high = answers["survey_type"].map({k: v[1] for k, v in SCORE_RANGES.items()})
    answers = answers[answers["score"].between(low, high)]
    answers = last_per_key(answers.dropna(subset=["account_id", "responded_at"]), "response_id")
    return {"accounts": accounts, "deals": deals, "projects": projects, "activities": activities,
            "escalations": escalations, "answers": answers}


def marts(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    deals, projects, answers = t["deals"], t["projects"], t["answers"]
    first_win = deals[deals["is_won"]].groupby("account_id")["close_date"].min().rename("first_won_date")
    deals = deals.join(first_win, on="account_id")
    deals["is_rebusiness"] = deals["is_won"] & (deals["close_date"] > deals["first_won_date"])
    done = projects[projects["actual_end_date"].notna()]
    delivered = done.groupby("opportunity_id")[["revenue", "actual_cost"]].sum()
    deals = deals.join(delivered.rename(columns={"revenue": "delivered_revenue", "actual_cost": "delivered_cost"}),
                       on="opportunity_id")

    projects = projects.merge(deals[["opportunity_id", "owner", "lead_source", "is_rebusiness"]],
                              on="opportunity_id", how="left")
    projects["is_delivered"] = projects["actual_end_date"].notna()
    reports = t["activities"][t["activities"]["activity_type"] == "status_report"]
    pairs = projects[["project_id", "account_id", "owner", "start_date", "planned_end_date", "actual_end_date"]].merge(
        reports, left_on=["account_id", "owner"], right_on=["account_id", "sales_participant"])
    end = pairs["actual_end_date"].fillna(pairs["planned_end_date"])
    sent = pairs[pairs["activity_date"].between(pairs["start_date"], end)].groupby("project_id").size()
    projects["seller_status_reports"] = projects["project_id"].map(sent).fillna(0).astype(int)

    escalations = t["escalations"].assign(
        hours_to_resolve=(t["escalations"]["resolved_at"] - t["escalations"]["opened_at"]).dt.total_seconds() / 3600)

    data_date = max(answers["responded_at"].max().normalize(), deals.loc[deals["is_closed"], "close_date"].max(),
                    t["activities"]["activity_date"].max(), escalations["opened_at"].max().normalize())
    answers = answers.assign(answer_date=answers["responded_at"].dt.normalize())
    rebusiness = deals.loc[deals["is_rebusiness"], ["account_id", "close_date", "amount"]]
    follow = answers[["response_id", "account_id", "answer_date"]].merge(rebusiness, on="account_id")
    window_end = follow["answer_date"] + pd.DateOffset(months=FOLLOW_UP_MONTHS)
    follow = follow[(follow["close_date"] > follow["answer_date"]) & (follow["close_date"] <= window_end)]
    outcome = follow.groupby("response_id").agg(deals_12m=("amount", "size"), amount_12m=("amount", "sum"))
    answers = answers.join(outcome, on="response_id")
    answers[["deals_12m", "amount_12m"]] = answers[["deals_12m", "amount_12m"]].fillna(0)
    answers["window_complete_12m"] = answers["answer_date"] + pd.DateOffset(months=FOLLOW_UP_MONTHS) <= data_date
    answers["nps_category"] = np.select(
        [answers["survey_type"] != "nps", answers["score"] >= 9, answers["score"] >= 7],
        [None, "promoter", "passive"], "detractor")
    return {"deals": deals, "projects": projects, "escalations": escalations, "answers": answers, "data_date": data_date}


def ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator else None


def kpis(m: dict, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    a = m["answers"][m["answers"]["answer_date"].between(start, end)]
    nps, csat = a[a["survey_type"] == "nps"], a[a["survey_type"] == "csat"]
    d = m["deals"][m["deals"]["close_date"].between(start, end)]
    won = d[d["is_won"]]
    p = m["projects"][m["projects"]["is_delivered"] & m["projects"]["actual_end_date"].between(start, end)]
    rebought, from_delivery = p[p["is_rebusiness"] == True], p[p["lead_source"] == "delivery"]  # noqa: E712 (NaN-safe)
    leads = d[d["lead_source"] == "delivery"]
    e = m["escalations"][m["escalations"]["opened_at"].dt.normalize().between(start, end)]
    return {
        "nps": ratio(100.0 * ((nps["score"] >= 9).sum() - (nps["score"] <= 6).sum()), len(nps)),
        "csat_pct": ratio((csat["score"] >= 4).sum(), len(csat)),
        "responses": len(a),
        "rebusiness_rate": ratio(won.loc[won["is_rebusiness"], "amount"].sum(), won["amount"].sum()),
        "rebusiness_margin": ratio((rebought["revenue"] - rebought["actual_cost"]).sum(), rebought["revenue"].sum()),
        "delivered_margin": ratio((p["revenue"] - p["actual_cost"]).sum(), p["revenue"].sum()),
        "won_amount": float(won["amount"].sum()),
        "delivery_leads": {
            "count": len(leads), "won": int(leads["is_won"].sum()),
            "win_rate": ratio(leads["is_won"].sum(), leads["is_closed"].sum()),
            "net_sales": float(leads.loc[leads["is_won"], "amount"].sum()),
            "margin": ratio((from_delivery["revenue"] - from_delivery["actual_cost"]).sum(), from_delivery["revenue"].sum()),
        },
        "escalations": {"count": len(e), "with_sales_involved": int(e["sales_involved"].fillna(False).sum()),
                        "median_hours_to_resolve": None if e["hours_to_resolve"].isna().all() else float(e["hours_to_resolve"].median())},
    }


def rebusiness_by_nps_category(m: dict, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """The Overview's satisfaction -> profit chart: share of answers followed by re-business."""
    a = m["answers"]
    a = a[(a["survey_type"] == "nps") & a["window_complete_12m"] & a["answer_date"].between(start, end)]
    return (a["deals_12m"] > 0).groupby(a["nps_category"]).mean().to_dict()


def last_months(data_date: pd.Timestamp, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Whole months ending with the data date's month (the Overview's default period)."""
    end = data_date + pd.offsets.MonthEnd(0)
    return end - pd.offsets.MonthBegin(months), end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--start", type=pd.Timestamp)
    parser.add_argument("--end", type=pd.Timestamp)
    args = parser.parse_args(argv)
    m = marts(load(args.folder))
    start, end = (args.start, args.end) if args.start else last_months(m["data_date"], 12)
    before = last_months(start - pd.Timedelta(days=1), 12)
    # the answers whose 12-month window ends in the period (metrics.answers_followed_into)
    answered = [day - pd.DateOffset(months=FOLLOW_UP_MONTHS) for day in (start, end)]
    print(json.dumps({"period": [str(start.date()), str(end.date())], "kpis": kpis(m, start, end),
                      "previous": kpis(m, *before), "rebusiness_by_nps_category": rebusiness_by_nps_category(m, *answered)},
                     default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
