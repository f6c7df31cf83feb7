"""Vendor layouts: every bundled mapping file loads its fixture, exported as the vendor exports it.

Fixtures (tests/fixtures):
- world/        the hand-made world, Salesforce + Kantata + Jira + Qualtrics + SurveyMonkey.
- layouts/      more vendors on top of that world (same accounts, named or by Salesforce id):
                Salesforce contacts, Pipedrive deals, Zendesk tickets, Typeform, Delighted, and
                (issue 13) Dynamics 365, Zoho, Freshdesk, ServiceNow, Outlook calendar, Google
                Forms, Microsoft Forms, Zendesk satisfaction, Harvest: made to look like a firm's
                real exports (its own question texts and custom fields, multi-line cells,
                European numbers, day-first dates, a totals line).
- hubspot_world/ the world's accounts, deals and activities as HubSpot (companies, deals,
                contacts) and the generic activities template export them; the tests add the
                world's Kantata, Jira and survey files with HubSpot's ids in place of Salesforce's.
- files/        file-handling cases: an XLSX export, a user's own mapping for a German export.
The expected rows and counts below are written out by hand from those files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines import adapters, mapping, metrics, warehouse
from pipelines.__main__ import main
from pipelines.adapters import ColumnSpec, IngestError, Layout
from pipelines.ingest import ingest
from pipelines.status import status
from tests.conftest import ROOT, WORLD

FIXTURES = ROOT / "tests" / "fixtures"
LAYOUTS = FIXTURES / "layouts"
HUBSPOT_WORLD = FIXTURES / "hubspot_world"
FILES = FIXTURES / "files"
BUNDLED = adapters.load_layouts()

ACME, BETA, GAMMA = "0015g00000ACME01AAA", "0015g00000BETA01AAA", "0015g00000GAMM01AAA"
# The world's Salesforce ids and the HubSpot record ids of the same companies and deals.
HUBSPOT_IDS = {ACME: "18010000001", BETA: "18010000002", GAMMA: "18010000003"} | {
    f"0065g00000OPP00{n}AAA": f"901000000{n}" for n in range(1, 9)
}
# World files that carry CRM ids; the HubSpot world gets them with HubSpot's ids.
ID_CARRYING_FILES = ["kantata_projects.csv", "jira_escalations.csv", "qualtrics_nps.csv", "surveymonkey_csat.csv"]


@pytest.fixture(scope="session")
def layouts_db(world_db, tmp_path_factory) -> Path:
    """The fixture world plus the layouts/ exports, loaded on top of it."""
    db = copy_of(world_db, tmp_path_factory.mktemp("layouts"))
    ingest([LAYOUTS], db=db)
    return db


@pytest.fixture(scope="session")
def hubspot_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hubspot")
    for name in ID_CARRYING_FILES:
        text = (WORLD / name).read_text(encoding="utf-8")
        for salesforce_id, hubspot_id in HUBSPOT_IDS.items():
            text = text.replace(salesforce_id, hubspot_id)
        (folder / name).write_text(text, encoding="utf-8")
    db = folder / "warehouse.duckdb"
    ingest([HUBSPOT_WORLD, folder], db=db)
    return db


def copy_of(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(db, target)
    return target


# layout -> (warehouse, file, rows in, rows quarantined and why)
FIXTURE_COUNTS = {
    "salesforce_accounts": ("layouts_db", "salesforce_accounts.csv", 3, 0),
    "salesforce_opportunities": ("layouts_db", "salesforce_opportunities.csv", 8, 1),  # 2/30/2025
    "salesforce_activities": ("layouts_db", "salesforce_activities.csv", 5, 0),
    "salesforce_contacts": ("layouts_db", "salesforce_contacts.csv", 3, 1),  # private contact: no account
    "pipedrive_deals": ("layouts_db", "pipedrive_deals.csv", 4, 1),  # Delta AG is no account
    "kantata_projects": ("layouts_db", "kantata_projects.csv", 5, 0),
    "jira_escalations": ("layouts_db", "jira_escalations.csv", 3, 0),
    "zendesk_tickets": ("layouts_db", "zendesk_tickets.csv", 3, 1),  # Zeta Unknown Inc is no account
    "generic_activities": ("hubspot_db", "generic_activities.csv", 5, 0),
    "qualtrics_nps": ("layouts_db", "qualtrics_nps.csv", 7, 1),  # nobody@unknown.org
    "surveymonkey_csat": ("layouts_db", "surveymonkey_csat.csv", 4, 1),  # CSAT 0
    "typeform_nps": ("layouts_db", "typeform_nps.csv", 4, 1),  # who@nowhere.net
    "delighted_nps": ("layouts_db", "delighted_nps.csv", 3, 1),  # score 11
    "hubspot_companies": ("hubspot_db", "hubspot_companies.csv", 3, 0),
    "hubspot_deals": ("hubspot_db", "hubspot_deals.csv", 8, 1),  # 2025-02-30
    "hubspot_contacts": ("hubspot_db", "hubspot_contacts.csv", 3, 1),  # Lee Lone: no company
    "dynamics365_opportunities": ("layouts_db", "dynamics365_opportunities.csv", 3, 1),  # Nobody GmbH
    "zoho_deals": ("layouts_db", "zoho_deals.csv", 2, 0),
    "freshdesk_tickets": ("layouts_db", "freshdesk_tickets.csv", 2, 0),
    "servicenow_incidents": ("layouts_db", "servicenow_incidents.csv", 3, 0),
    "outlook_calendar": ("layouts_db", "outlook_calendar.csv", 3, 0),
    "google_forms_nps": ("layouts_db", "google_forms_nps.csv", 3, 0),
    "microsoft_forms_nps": ("layouts_db", "microsoft_forms_nps.csv", 2, 0),
    "zendesk_satisfaction": ("layouts_db", "zendesk_satisfaction.csv", 3, 1),  # "Offered": no answer
    "harvest_projects": ("layouts_db", "harvest_projects.csv", 2, 0),  # and its Total line: a footer
}

# layout -> (warehouse, table, key, the canonical row as read by hand from the fixture)
FIXTURE_ROWS = {
    "salesforce_accounts": ("layouts_db", "dim_account", ACME, {
        "account_name": "Acme Corp", "owner": "Alex Owner", "segment": "Enterprise", "region": "EMEA",
        "website": "www.acme.com"}),
    "salesforce_opportunities": ("layouts_db", "fct_opportunity", "0065g00000OPP004AAA", {
        "account_id": BETA, "owner": "Rita Rep", "sales_team": "Mid-market", "stage": "Closed Lost", "is_won": False,
        "is_closed": True, "created_date": dt.date(2025, 1, 10), "close_date": dt.date(2025, 4, 1),
        "amount": Decimal("30000.00"), "lead_source": "delivery", "referred_by": "Dana Delivery",
        "deal_type": "existing_business"}),
    "salesforce_activities": ("layouts_db", "fct_activity", "00T5g00000ACT002AAA", {
        "account_id": BETA, "activity_date": dt.date(2025, 4, 15), "activity_type": "sales_meeting",
        "sales_participant": "Rita Rep", "delivery_participant": "Dana Delivery"}),
    "salesforce_contacts": ("layouts_db", "dim_contact", "0035g00000CON001AAA", {
        "account_id": GAMMA, "email": "lena.berg@acme.com", "name": "Lena Berg"}),
    # lost: the close date is the lost time; Value 12500.5 is a bare number; no deal type or team field
    "pipedrive_deals": ("layouts_db", "fct_opportunity", "102", {
        "account_id": BETA, "owner": "Rita Rep", "sales_team": None, "stage": "Proposal Made", "is_won": False,
        "is_closed": True, "created_date": dt.date(2025, 9, 1), "close_date": dt.date(2025, 11, 15),
        "amount": Decimal("12500.50"), "lead_source": "partner", "referred_by": None, "deal_type": None}),
    "kantata_projects": ("layouts_db", "fct_project", "P-000003", {
        "opportunity_id": "0065g00000OPP003AAA", "account_id": BETA, "delivery_team": "Data & AI",
        "delivery_manager": "Dev Manager", "start_date": dt.date(2025, 3, 5),
        "planned_end_date": dt.date(2025, 6, 30), "actual_end_date": dt.date(2025, 7, 30),
        "budget_cost": Decimal("50000.00"), "actual_cost": Decimal("60000.00"), "revenue": Decimal("80000.00")}),
    "jira_escalations": ("layouts_db", "fct_escalation", "ESC-1", {
        "account_id": BETA, "project_id": "P-000003", "opened_at": dt.datetime(2025, 4, 10, 9, 0),
        "resolved_at": dt.datetime(2025, 4, 12, 9, 0), "severity": "high", "sales_involved": True,
        "category": "Quality"}),
    # Urgent -> critical; organization "Acme Corp" -> its id; checkbox "true"
    "zendesk_tickets": ("layouts_db", "fct_escalation", "4101", {
        "account_id": ACME, "project_id": "P-000002", "opened_at": dt.datetime(2025, 5, 12, 8, 30),
        "resolved_at": dt.datetime(2025, 5, 13, 10, 30), "severity": "critical", "sales_involved": True,
        "category": "Billing"}),
    "generic_activities": ("hubspot_db", "fct_activity", "A-002", {
        "account_id": HUBSPOT_IDS[BETA], "activity_date": dt.date(2025, 4, 15), "activity_type": "sales_meeting",
        "sales_participant": "Rita Rep", "delivery_participant": "Dana Delivery"}),
    "qualtrics_nps": ("layouts_db", "fct_survey_response", "R_fixture000000003", {
        "account_id": BETA, "contact": "bob.roe@beta.io", "responded_at": dt.datetime(2025, 2, 1, 9, 3),
        "survey_type": "nps", "score": 3, "comment": 'Missed the "go-live" date'}),
    "surveymonkey_csat": ("layouts_db", "fct_survey_response", "11400000002", {
        "account_id": BETA, "contact": "bob.roe@beta.io", "responded_at": dt.datetime(2025, 3, 10, 14, 0),
        "survey_type": "csat", "score": 2, "comment": "Faster replies"}),
    # pat.lee@gmail.com: no account has gmail.com; the Salesforce contact Pat.Lee@gmail.com is Beta's
    "typeform_nps": ("layouts_db", "fct_survey_response", "tf0003pat", {
        "account_id": BETA, "contact": "pat.lee@gmail.com", "responded_at": dt.datetime(2025, 10, 12, 11, 4),
        "survey_type": "nps", "score": 3, "comment": "Missed deadlines"}),
    # Created At 1760000000 (Unix seconds) = 2025-10-09 08:53:20 UTC (`date -u -d @1760000000`)
    "delighted_nps": ("layouts_db", "fct_survey_response", "7001", {
        "account_id": GAMMA, "contact": "cy.poe@gamma.com", "responded_at": dt.datetime(2025, 10, 9, 8, 53, 20),
        "survey_type": "nps", "score": 9, "comment": "Great sprint reviews"}),
    "hubspot_companies": ("hubspot_db", "dim_account", HUBSPOT_IDS[GAMMA], {
        "account_name": "Gamma GmbH", "owner": "Bo Owner", "segment": "SMB", "region": "EMEA",
        "website": "gamma.com"}),
    "hubspot_deals": ("hubspot_db", "fct_opportunity", HUBSPOT_IDS["0065g00000OPP004AAA"], {
        "account_id": HUBSPOT_IDS[BETA], "owner": "Rita Rep", "sales_team": "Mid-market", "stage": "Closed Lost",
        "is_won": False, "is_closed": True, "created_date": dt.date(2025, 1, 10), "close_date": dt.date(2025, 4, 1),
        "amount": Decimal("30000.00"), "lead_source": "delivery", "referred_by": "Dana Delivery",
        "deal_type": "existing_business"}),
    "hubspot_contacts": ("hubspot_db", "dim_contact", "51000000002", {
        "account_id": HUBSPOT_IDS[GAMMA], "email": "jane@gamma.com", "name": "Jane Smith"}),
    # the hidden GUID column is the key; "€42.500,00" and 28/09/2025 told European and day-first
    "dynamics365_opportunities": ("layouts_db", "fct_opportunity", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", {
        "account_id": ACME, "owner": "Sam Seller", "stage": "Won", "is_won": True, "is_closed": True,
        "created_date": dt.date(2025, 7, 2), "close_date": dt.date(2025, 9, 28), "amount": Decimal("42500.00"),
        "lead_source": "delivery", "deal_reference": "D-2025-301"}),
    "zoho_deals": ("layouts_db", "fct_opportunity", "zcrm_5725767000000417002", {
        "account_id": GAMMA, "owner": "Rita Rep", "stage": "Qualification", "is_won": False, "is_closed": False,
        "created_date": dt.date(2025, 9, 2), "close_date": dt.date(2025, 12, 20), "amount": Decimal("12500.50"),
        "lead_source": "marketing", "deal_type": "new_business", "deal_reference": "D-2025-402"}),
    # custom fields named "Project Code" and "Sales engaged?" found by pattern; a multi-line description
    "freshdesk_tickets": ("layouts_db", "fct_escalation", "5001", {
        "account_id": ACME, "project_id": "P-000002", "opened_at": dt.datetime(2025, 6, 2, 8, 15),
        "resolved_at": dt.datetime(2025, 6, 2, 16, 45), "severity": "critical", "sales_involved": True,
        "category": "Incident"}),
    "servicenow_incidents": ("layouts_db", "fct_escalation", "INC0010002", {
        "account_id": BETA, "project_id": "P-000003", "opened_at": dt.datetime(2025, 6, 11, 13, 5),
        "resolved_at": dt.datetime(2025, 6, 12, 9, 30), "severity": "critical", "sales_involved": False,
        "category": "Inquiry / Help"}),
    # day-first dates (14/05/2025); the firm's category "Client status"; the client in Billing Information
    "outlook_calendar": ("layouts_db", "fct_activity", "14/05/2025 10:00:00 Acme - monthly status", {
        "account_id": ACME, "activity_date": dt.date(2025, 5, 14), "activity_type": "status_report",
        "sales_participant": "Sam Seller", "delivery_participant": "Dana Delivery;Ann Doe"}),
    # the firm's own NPS wording; no company given: the account by the e-mail's domain
    "google_forms_nps": ("layouts_db", "fct_survey_response", "15/10/2025 17:03:10 bob.roe@beta.io", {
        "account_id": BETA, "contact": "bob.roe@beta.io", "responded_at": dt.datetime(2025, 10, 15, 17, 3, 10),
        "survey_type": "nps", "score": 5, "comment": "Go-live slipped twice"}),
    "microsoft_forms_nps": ("layouts_db", "fct_survey_response", "2", {
        "account_id": GAMMA, "contact": "cy.poe@gamma.com", "responded_at": dt.datetime(2025, 10, 15, 17, 3, 10),
        "survey_type": "nps", "score": 7, "comment": "Faster onboarding"}),
    # "Bad" counts as CSAT 1 (Good: 5): CSAT = share of good ratings
    "zendesk_satisfaction": ("layouts_db", "fct_survey_response", "8102", {
        "account_id": BETA, "contact": "bob.roe@beta.io", "responded_at": dt.datetime(2025, 7, 20, 12, 0),
        "survey_type": "csat", "score": 1, "comment": "Took a week"}),
    # Project Code D-2025-301 is the Dynamics deal's number; revenue is the invoiced amount
    "harvest_projects": ("layouts_db", "fct_project", "Acme Corp Data platform phase 3", {
        "opportunity_id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "account_id": ACME,
        "delivery_manager": "Dana Delivery", "start_date": dt.date(2025, 8, 5), "planned_end_date": dt.date(2025, 10, 31),
        "budget_cost": None, "actual_cost": Decimal("31250.00"), "revenue": Decimal("42500.00")}),
}


def canonical_row(con, table: str, key: str) -> dict:
    cursor = con.execute(f"SELECT * FROM {table} WHERE {warehouse.NATURAL_KEYS[table]} = ?", [key])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1, (table, key, rows)
    return dict(zip(names, rows[0]))


def test_formats_lists_every_bundled_layout_with_its_required_columns(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    assert len(BUNDLED) >= 11
    for layout in BUNDLED.values():
        assert f"{layout.name} " in out and f"required: {', '.join(layout.required)}" in out
    assert "required: \n" not in out  # every layout says what its file must have


def test_formats_says_how_each_required_column_is_found(capsys):
    """By its name, its alternatives, or its header pattern and the values it holds (google_forms_nps
    has no fixed column name at all)."""
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    google = out[out.index("google_forms_nps "):out.index("harvest_projects ")]
    assert "required: a column matching /^(Timestamp|Zeitstempel|Horodateur|Marca temporal)$/, " in google
    assert ("  score: the column whose header matches /recommend|empfehl|recommand|raccomand|recomend/ holding "
            "whole numbers 0-10\n") in google
    assert "  responded_at: the first non-empty of 'Timestamp', 'Zeitstempel', 'Horodateur', 'Marca temporal'\n" in google
    assert "  survey_type: always 'nps'\n" in google
    qualtrics = out[out.index("qualtrics_nps "):out.index("salesforce_accounts ")]
    assert "required: ResponseId, RecordedDate, a column matching /^(?!\\S*_NPS_GROUP\\b)" in qualtrics
    assert ("  account_id: 'AccountID'; else from the e-mail in 'RecipientEmail' (its contact, or its domain)\n"
            in qualtrics)
    assert "  account_id: 'Billing Information' (looked up as account name)\n" in out  # Outlook


def test_the_readme_table_lists_every_bundled_layout():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in BUNDLED if f"| `{name}` |" not in readme] == []


@pytest.mark.parametrize("path", sorted(adapters.SOURCES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_layout_says_where_it_was_checked_and_has_a_fixture(path):
    assert "Checked against:" in path.read_text(encoding="utf-8")
    assert path.stem in FIXTURE_COUNTS and path.stem in FIXTURE_ROWS


@pytest.mark.parametrize("layout", sorted(FIXTURE_COUNTS))
def test_fixture_rows_are_loaded_or_quarantined(layout, request, reader):
    db_name, file_name, rows_in, quarantined = FIXTURE_COUNTS[layout]
    con = reader(request.getfixturevalue(db_name))
    logged = con.execute(
        """SELECT layout, rows_in, rows_inserted + rows_updated + rows_unchanged, rows_quarantined
        FROM load_log WHERE file_name = ?""",
        [file_name],
    ).fetchall()
    assert logged == [(layout, rows_in, rows_in - quarantined, quarantined)]


@pytest.mark.parametrize("layout", sorted(FIXTURE_ROWS))
def test_fixture_row_maps_field_by_field(layout, request, reader):
    db_name, table, key, expected = FIXTURE_ROWS[layout]
    row = canonical_row(reader(request.getfixturevalue(db_name)), table, key)
    assert {column: row[column] for column in expected} == expected


@pytest.mark.parametrize("db_name,folder", [("layouts_db", LAYOUTS), ("hubspot_db", HUBSPOT_WORLD)])
def test_reloading_the_same_records_changes_nothing(db_name, folder, request, tmp_path):
    db = copy_of(request.getfixturevalue(db_name), tmp_path)
    again = tmp_path / "again"
    again.mkdir()
    for path in folder.iterdir():  # the same rows in other bytes, so the file hash does not skip them
        (again / path.name).write_bytes(path.read_bytes() + b"\n")
    results = ingest([again], db=db)
    assert [(r.file_name, r.inserted, r.updated) for r in results] == [(r.file_name, 0, 0) for r in results]
    assert all(r.unchanged == r.rows_in - r.quarantined for r in results)


@pytest.mark.parametrize(
    "db_name,file_name,before,after,key,amount",
    [
        ("layouts_db", LAYOUTS / "pipedrive_deals.csv", '"12500.5"', '"13000"', "102", 13_000),
        ("hubspot_db", HUBSPOT_WORLD / "hubspot_deals.csv", ",50000,", ",55000,", "9010000002", 55_000),
    ],
    ids=["pipedrive", "hubspot"],
)
def test_a_later_export_updates_changed_amounts(db_name, file_name, before, after, key, amount, request, tmp_path, reader):
    db = copy_of(request.getfixturevalue(db_name), tmp_path)
    later = tmp_path / f"later_{file_name.name}"
    later.write_text(file_name.read_text(encoding="utf-8").replace(before, after), encoding="utf-8")
    result = ingest([later], db=db)[0]
    assert (result.inserted, result.updated) == (0, 1)
    assert canonical_row(reader(db), "fct_opportunity", key)["amount"] == amount


@pytest.mark.parametrize("period", [metrics.Period(), metrics.Period(dt.date(2025, 1, 1), dt.date(2025, 3, 31))], ids=["all", "q1"])
def test_two_crms_exporting_the_same_world_give_the_same_kpis(period, world_db, hubspot_db, reader):
    assert metrics.kpis(reader(hubspot_db), period) == metrics.kpis(reader(world_db), period)


# --- Sales teams -------------------------------------------------------------------------------


@pytest.mark.parametrize("db_name", ["layouts_db", "hubspot_db"])
def test_the_sales_team_reaches_the_marts(db_name, request, reader):
    # Rita Rep (Mid-market) sold OPP003 / HubSpot deal 9010000003, the deal of project P-000003
    con = reader(request.getfixturevalue(db_name))
    deal = HUBSPOT_IDS["0065g00000OPP003AAA"] if db_name == "hubspot_db" else "0065g00000OPP003AAA"
    query = "SELECT sales_team FROM mart_opportunity WHERE opportunity_id = ?"
    assert con.execute(query, [deal]).fetchone() == ("Mid-market",)
    project = "SELECT sold_by, sold_by_team FROM mart_project WHERE project_id = 'P-000003'"
    assert con.execute(project).fetchone() == ("Rita Rep", "Mid-market")


def test_an_export_without_the_team_column_loads_with_no_team(tmp_path, reader):
    text = (WORLD / "salesforce_opportunities.csv").read_text(encoding="utf-8")
    for cell in ['"Owner Role"', '"Enterprise East"', '"Mid-market"']:
        text = text.replace("," + cell, "")
    assert "Owner Role" not in text and "Mid-market" not in text
    export = tmp_path / "opportunities_without_roles.csv"
    export.write_text(text, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    results = ingest([WORLD / "salesforce_accounts.csv", WORLD / "kantata_projects.csv", export], db=db)
    deals = next(r for r in results if r.file_name == export.name)
    assert (deals.layout, deals.inserted, deals.quarantined) == ("salesforce_opportunities", 7, 1)
    con = reader(db)
    assert con.execute("SELECT count(*), count(sales_team) FROM fct_opportunity").fetchone() == (7, 0)
    assert con.execute("SELECT count(*), count(sales_team) FROM mart_opportunity").fetchone() == (7, 0)
    # the world's 5 projects each have their deal, so their seller, but not the seller's team
    assert con.execute("SELECT count(sold_by), count(sold_by_team) FROM mart_project").fetchone() == (5, 0)


# --- Matching survey answers that carry only an e-mail ----------------------------------------


def test_a_contacts_exact_email_wins_over_the_email_domain(layouts_db, reader):
    # lena.berg@acme.com is a Salesforce contact of Gamma (an Acme subsidiary on acme.com mail)
    assert canonical_row(reader(layouts_db), "fct_survey_response", "tf0002lena")["account_id"] == GAMMA


def test_the_email_domain_matches_when_no_contact_has_the_email(layouts_db, reader):
    # ann.doe@acme.com is no contact; acme.com is Acme's website (www.acme.com)
    assert canonical_row(reader(layouts_db), "fct_survey_response", "tf0001ann")["account_id"] == ACME


def test_contacts_given_after_the_surveys_still_load_first(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    ingest([LAYOUTS / "typeform_nps.csv", LAYOUTS / "salesforce_contacts.csv", WORLD / "salesforce_accounts.csv"], db=db)
    assert canonical_row(reader(db), "fct_survey_response", "tf0002lena")["account_id"] == GAMMA


def test_unmatched_answers_are_quarantined_and_counted(layouts_db, reader):
    reasons = reader(layouts_db).execute(
        "SELECT source_file, reason FROM quarantine WHERE table_name = 'fct_survey_response' ORDER BY 1"
    ).fetchall()
    assert ("typeform_nps.csv", "no matching account") in reasons
    assert {"table_name": "fct_survey_response", "reason": "no matching account", "rows": 2} in status(layouts_db)["quarantine"]


@pytest.mark.parametrize("file_name", ["pipedrive_deals.csv", "zendesk_tickets.csv"])
def test_a_record_naming_an_unknown_account_is_quarantined_as_no_matching_account(file_name, layouts_db, reader):
    rows = reader(layouts_db).execute("SELECT reason FROM quarantine WHERE source_file = ?", [file_name]).fetchall()
    assert rows == [("no matching account",)]


# --- Vocabularies ------------------------------------------------------------------------------


def test_an_unmapped_vendor_value_is_reported_in_status_not_relabelled(layouts_db, reader):
    # Pipedrive deal 103 has lead source "Podcast", which the mapping does not know
    assert canonical_row(reader(layouts_db), "fct_opportunity", "103")["lead_source"] is None
    unmapped = status(layouts_db)["unmapped_values"]
    assert {"layout": "pipedrive_deals", "column_name": "lead_source", "value": "Podcast", "rows": 1} in unmapped


def test_a_mapping_onto_a_non_canonical_value_is_rejected(tmp_path):
    mapping = tmp_path / "my_deals.yaml"
    mapping.write_text(
        "table: fct_opportunity\ncolumns:\n  opportunity_id: Id\n"
        "  lead_source: {from: Source, map: {Delivery Referral: Delivery}}\n"
    )
    with pytest.raises(IngestError, match=r"lead_source: \['Delivery'\] are not canonical values; use one of"):
        adapters.parse_layout(mapping)


@pytest.mark.parametrize("vendor_value", ["Closed Won", "closed won", "CLOSED WON"])
def test_value_maps_ignore_the_vendors_capitalisation(vendor_value, tmp_path):
    export = tmp_path / "deals.csv"
    export.write_text(
        (HUBSPOT_WORLD / "hubspot_deals.csv").read_text(encoding="utf-8").replace("Closed Won", vendor_value),
        encoding="utf-8",
    )
    assert sum(row["is_won"] for row in stage(export, "hubspot_deals", tmp_path)) == 6


# --- File handling ----------------------------------------------------------------------------


def stage(path: Path, layout_name: str | Layout, workdir: Path, sheet: str | None = None) -> list[dict]:
    """The staged rows of one file (no warehouse, no validation): what the mapping reads."""
    layout = BUNDLED[layout_name] if isinstance(layout_name, str) else layout_name
    con = duckdb.connect()
    warehouse.create_schema(con)  # lookups read dim_account (empty here)
    source = adapters.prepare(path, workdir, sheet)
    header = adapters.check_required(source, layout)
    adapters.land(con, source, layout)
    sql, params = adapters.staging_sql(layout, header)
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


@pytest.mark.parametrize(
    "encoding,delimiter",
    [("utf-8", ","), ("utf-8-sig", ";"), ("utf-16", "\t"), ("cp1252", ";"), ("latin-1", "|"), ("utf-8", "\t")],
)
def test_encodings_and_delimiters_are_read(encoding, delimiter, tmp_path):
    text = (WORLD / "salesforce_accounts.csv").read_text(encoding="utf-8")
    text = text.replace("Gamma GmbH", "Gämma Straße GmbH").replace('","', f'"{delimiter}"')
    export = tmp_path / "accounts.csv"
    export.write_bytes(text.encode(encoding))
    source = adapters.prepare(export, tmp_path)
    assert adapters.detect_layout(source, BUNDLED).name == "salesforce_accounts"
    names = {row["account_id"]: row["account_name"] for row in stage(export, "salesforce_accounts", tmp_path)}
    assert len(names) == 3 and names[GAMMA] == "Gämma Straße GmbH"  # the footer lines are not rows


def money_layout(number_format: str) -> Layout:
    return Layout(
        name="amounts", title="amounts", table="fct_opportunity", required=("Id", "Amount"),
        columns=(ColumnSpec("opportunity_id", ("Id",)),
                 ColumnSpec("amount", ("Amount",), type="money", number_format=number_format)),
    )


@pytest.mark.parametrize(
    "text,number_format,expected",
    [
        ("USD 12,500.00", "1,234.50", Decimal("12500.00")),
        ("$1,234.50", "1,234.50", Decimal("1234.50")),
        ("(1,234.50)", "1,234.50", Decimal("-1234.50")),
        ("12500", "1,234.50", Decimal("12500.00")),
        ("€1.234,50", "1.234,50", Decimal("1234.50")),
        ("1.234.567,89 €", "1.234,50", Decimal("1234567.89")),
        ("EUR 12.500,00", "1.234,50", Decimal("12500.00")),
        ("1\u00a0234,50", "1 234,50", Decimal("1234.50")),
        ("1.234,50", "1,234.50", None),  # another locale's shape is unreadable, not 1.2345
        ("1,234.50", "1.234,50", None),
    ],
)
def test_number_formats_and_currency_strings(text, number_format, expected, tmp_path):
    export = tmp_path / "amounts.csv"
    export.write_text(f'Id,Amount\n1,"{text}"\n', encoding="utf-8")
    [row] = stage(export, money_layout(number_format), tmp_path)
    assert row["amount"] == expected
    assert row["amount__unparsed"] == (text if expected is None else None)  # quarantined as unreadable


def test_blank_trailing_rows_are_not_rows(tmp_path):
    export = tmp_path / "accounts.csv"
    body = (WORLD / "salesforce_accounts.csv").read_text(encoding="utf-8").split("\n\n")[0]
    export.write_text(body + "\n,,,,,,,\n , ,,,,,,\n\n\n", encoding="utf-8")
    assert len(stage(export, "salesforce_accounts", tmp_path)) == 3


def test_an_xlsx_export_stages_like_the_csv_export(tmp_path):
    # files/hubspot_deals.xlsx: hubspot_world/hubspot_deals.csv but its "HubSpot Team" column,
    # saved by Excel, dates as date cells
    columns = ["opportunity_id", "stage", "is_won", "created_date", "close_date", "amount", "lead_source"]
    from_xlsx = [[row[c] for c in columns] for row in stage(FILES / "hubspot_deals.xlsx", "hubspot_deals", tmp_path)]
    from_csv = [[row[c] for c in columns] for row in stage(HUBSPOT_WORLD / "hubspot_deals.csv", "hubspot_deals", tmp_path)]
    assert from_xlsx == from_csv
    assert [row[4] for row in from_xlsx].count(None) == 1  # "2025-02-30 12:00" is text in both


def test_an_export_without_the_optional_team_column_stages_no_team(tmp_path):
    source = adapters.prepare(FILES / "hubspot_deals.xlsx", tmp_path)
    assert "HubSpot Team" not in adapters.header_of(source, BUNDLED["hubspot_deals"])
    assert [row["sales_team"] for row in stage(FILES / "hubspot_deals.xlsx", "hubspot_deals", tmp_path)] == [None] * 8


def test_an_xlsx_workbook_is_read_from_the_sheet_that_holds_the_data(tmp_path):
    source = adapters.prepare(FILES / "hubspot_deals.xlsx", tmp_path)  # sheets: Deals, Read me
    assert adapters.detect_layout(source, BUNDLED).name == "hubspot_deals"


def test_the_sheet_option_reads_the_named_sheet(tmp_path):
    source = adapters.prepare(FILES / "hubspot_deals.xlsx", tmp_path, sheet="Read me")
    assert source.head[0] == ["Exported from HubSpot for the Win-Win fixture world"]
    with pytest.raises(IngestError, match=r"no sheet 'Sales'; sheets are \['Deals', 'Read me'\]"):
        adapters.prepare(FILES / "hubspot_deals.xlsx", tmp_path, sheet="Sales")


def test_a_users_mapping_loads_a_german_export_with_one_command(world_db, tmp_path, reader, capsys):
    # files/my_crm_deals.csv: Windows-1252, ';', decimal comma, "€1.234,50", dd.mm.yyyy, blank
    # trailing rows. EU-1..EU-3 load; EU-4's "1,234.50" is not a German number: quarantined.
    db = copy_of(world_db, tmp_path)
    command = ["ingest", "--mapping", FILES / "my_crm_deals.yaml", FILES / "my_crm_deals.csv", "--db", db]
    assert main(list(map(str, command))) == 0  # python -m pipelines ingest --mapping ..., in-process
    assert "4 rows = 3 new + 0 updated + 0 unchanged + 1 quarantined" in capsys.readouterr().out
    con = reader(db)
    rows = con.execute(
        "SELECT opportunity_id, account_id, amount, close_date, owner FROM fct_opportunity WHERE opportunity_id LIKE 'EU-%' ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("EU-1", ACME, Decimal("1234.50"), dt.date(2025, 1, 15), "Jürgen Müller"),
        ("EU-2", GAMMA, Decimal("12500.00"), dt.date(2025, 3, 1), "Zoë Straßer"),
        ("EU-3", BETA, Decimal("1234567.89"), dt.date(2025, 6, 30), "Jürgen Müller"),
    ]
    assert con.execute("SELECT reason FROM quarantine WHERE source_file = 'my_crm_deals.csv'").fetchall() == [
        ("unreadable amount",)
    ]


def test_an_unknown_layout_names_the_closest_vendor_layout_and_its_missing_columns(tmp_path):
    export = tmp_path / "hubspot-crm-exports-deals.csv"
    export.write_text(
        (HUBSPOT_WORLD / "hubspot_deals.csv").read_text(encoding="utf-8").replace("Deal Stage", "Stage"),
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as error:
        ingest([export], db=tmp_path / "w.duckdb")
    closest = str(error.value).split("closest")[1].splitlines()[1]
    assert closest.startswith("  - hubspot_deals ") and "missing ['Deal Stage']" in closest


def optional_columns() -> list[tuple[str, str]]:
    """(layout, source column) for every mapped column a bundled layout does not require."""
    cases = []
    for name in sorted(FIXTURE_COUNTS):
        layout = BUNDLED[name]
        cases.extend((name, column) for column in layout.source_columns if column not in layout.required)
    return cases


@pytest.mark.parametrize("layout_name,column", optional_columns(), ids=lambda v: str(v))
def test_dropping_an_optional_column_never_ends_in_a_traceback(layout_name, column, tmp_path):
    import csv as csv_module

    _, file_name, _, _ = FIXTURE_COUNTS[layout_name]
    folder = HUBSPOT_WORLD if (HUBSPOT_WORLD / file_name).exists() and FIXTURE_COUNTS[layout_name][0] == "hubspot_db" else (
        LAYOUTS if (LAYOUTS / file_name).exists() else WORLD)
    rows = list(csv_module.reader((folder / file_name).read_text(encoding="utf-8").splitlines()))
    layout = BUNDLED[layout_name]
    header = rows[layout.header_line]
    if column not in header:
        pytest.skip(f"{file_name} has no {column!r} column")
    index = header.index(column)
    export = tmp_path / file_name
    with open(export, "w", encoding="utf-8", newline="") as fh:
        csv_module.writer(fh).writerows([r[:index] + r[index + 1:] if len(r) > index else r for r in rows])
    con = duckdb.connect()
    warehouse.create_schema(con)
    try:
        source = adapters.prepare(export, tmp_path)
        found = adapters.locate_header(source, layout) or layout
        header = adapters.check_required(source, found)
        adapters.land(con, source, found)
        resolved = adapters.resolve_patterns(con, source, found, header)
        resolved = adapters.resolve_number_formats(con, resolved, header, export.name)
        resolved = adapters.resolve_date_orders(con, resolved, header, export.name)
        sql, params = adapters.staging_sql(resolved, header)
        con.execute(f"CREATE TEMP TABLE staged AS {sql}", params)
        if layout.table == "fct_survey_response":
            from pipelines.ingest import match_accounts_by_email
            match_accounts_by_email(con)
        from pipelines import validation
        validation.validate(con, "staged", layout.table, frozenset(c.name for c in layout.columns if c.lookup))
    except IngestError as refusal:  # a clear refusal is fine; a traceback of another kind is not
        assert export.name in str(refusal)


# --- Flexible layouts: the firm's own question texts and custom-field names (tests/fixtures/firm)
FIRM = FIXTURES / "firm"


@pytest.mark.parametrize("file_name,layout_name,key,expected", [
    # the NPS question in German; the comment column found by "Grund"
    ("typeform_nps_german.csv", "typeform_nps", "de002", {"score": 4, "comment": "Go-live verschoben"}),
    # Client ID, not the Account Manager; Project Code; "Sales Engaged?"; Category; Labels twice
    ("jira_client_fields.csv", "jira_escalations", "ESC-91",
     {"account_id": ACME, "project_id": "P-000002", "sales_involved": True, "category": "Billing"}),
    ("surveymonkey_project_csat.csv", "surveymonkey_csat", "11900000001", {"score": 4, "survey_type": "csat"}),
])
def test_a_layout_finds_columns_named_in_the_firms_own_words(file_name, layout_name, key, expected, world_db, tmp_path, reader):
    db = copy_of(world_db, tmp_path)
    [result] = ingest([FIRM / file_name], db=db, data_docs=False)
    assert result.layout == layout_name and result.quarantined == 0
    table = BUNDLED[layout_name].table
    row = canonical_row(reader(db), table, key)
    assert {column: row[column] for column in expected} == expected


def test_two_columns_fitting_one_role_are_named_and_nothing_is_picked(tmp_path):
    with pytest.raises(IngestError) as error:
        ingest([FIRM / "typeform_two_recommend_questions.csv"], db=tmp_path / "w.duckdb", data_docs=False)
    message = str(error.value)
    assert "'How likely are you to recommend our delivery team?' and 'How likely are you to recommend our sales team?'" in message
    assert "both fit typeform_nps's score" in message and "--format" in message
    assert not (tmp_path / "w.duckdb").exists()


# --- The mapping assistant (python -m pipelines map): tests/fixtures/unknown, exports of tools no layout knows
UNKNOWN = FIXTURES / "unknown"


def test_the_assistant_drafts_a_mapping_that_loads_an_unknown_psa_export(world_db, tmp_path, reader, capsys):
    draft = tmp_path / "psa.yaml"
    assert main(["map", str(UNKNOWN / "psa_budget.csv"), "--out", str(draft)]) == 0  # confident
    text = draft.read_text()
    assert "table: fct_project" in text and 'opportunity_id: {from: "Deal No", lookup: "deal_reference"}' in text
    db = copy_of(world_db, tmp_path)
    assert main(["ingest", "--mapping", str(draft), str(UNKNOWN / "psa_budget.csv"), "--db", str(db)]) == 0
    row = canonical_row(reader(db), "fct_project", "HV-1")
    assert (row["opportunity_id"], row["account_id"], row["budget_cost"], row["actual_cost"], row["revenue"],
            row["actual_end_date"]) == ("0065g00000OPP001AAA", ACME, Decimal("60000.00"), Decimal("71500.00"),
                                        Decimal("100000.00"), dt.date(2025, 5, 12))


def test_the_assistant_leaves_blank_what_it_cannot_tell_and_the_draft_loads_nothing_wrong(world_db, tmp_path, reader, capsys):
    draft = tmp_path / "deals.yaml"
    # 03/04/2025 and 05/06/2025: no day above 12, so day-first and month-first both read them
    assert main(["map", str(UNKNOWN / "crm_deals_daymonth.csv"), "--out", str(draft)]) == 3
    text = draft.read_text()
    assert "  close_date:  # unsure: 'Closed' holds dates, but day and month cannot be told apart" in text
    assert '"Referral": \n' in text and '"Website": "marketing"' in text  # every value listed; unsure = blank
    assert "a person must decide: close_date" in capsys.readouterr().err
    db = copy_of(world_db, tmp_path)
    [result] = ingest([UNKNOWN / "crm_deals_daymonth.csv"], db=db, mappings=[draft], data_docs=False)
    con = reader(db)
    # the deals load without the dates nobody could read for sure: no guessed date, no guessed source
    assert con.execute("""SELECT count(*), count(close_date), count(created_date), count(lead_source)
        FROM fct_opportunity WHERE opportunity_id LIKE 'D-%'""").fetchone() == (2, 0, 0, 1)
    assert result.quarantined == 0 and result.unmapped == {"lead_source": {"Referral": 1}}
    # filled in by a person, the same draft loads: 12.500,00 as 12500 and the dates day-first
    draft.write_text(text.replace("  close_date:  #", '  close_date: {from: Closed, type: date, format: "%d/%m/%Y"}  #'))
    ingest([UNKNOWN / "crm_deals_daymonth.csv"], db=db, mappings=[draft], data_docs=False)
    assert reader(db).execute("SELECT amount, close_date, is_won FROM fct_opportunity WHERE opportunity_id = 'D-1'").fetchone() == (
        Decimal("12500.00"), dt.date(2025, 6, 5), True)


def test_the_assistant_skips_title_lines_and_a_row_of_group_headings_and_says_so(world_db, tmp_path, reader, capsys):
    # Two report title lines, then "Dates" and "Money" over their columns, then the column names (line 4)
    draft = tmp_path / "scoro.yaml"
    assert main(["map", str(UNKNOWN / "psa_titles_and_group_header.csv"), "--out", str(draft)]) == 0
    text = draft.read_text()
    assert "skip_rows: 3\n  header_rows: 1\n" in text and 'project_id: {from: "Project No"}' in text
    assert "# the column names are on line 4" in text
    assert "# line 1 is a title line, skipped: 'Scoro - Projects report'" in text
    assert "# line 3 is a header row above the column names, skipped: 'Dates', 'Money'" in text
    db = copy_of(world_db, tmp_path)
    [result] = ingest([UNKNOWN / "psa_titles_and_group_header.csv"], db=db, mappings=[draft], data_docs=False)
    assert (result.rows_in, result.inserted, result.quarantined) == (2, 2, 0)  # no title read as a record
    row = canonical_row(reader(db), "fct_project", "SC-1")
    assert (row["account_id"], row["start_date"], row["budget_cost"], row["revenue"]) == (
        ACME, dt.date(2025, 1, 20), Decimal("60000.00"), Decimal("100000.00"))


@pytest.mark.parametrize("head, place", [
    # SurveyMonkey: the answer options under the question texts are a second header row
    ([["Respondent ID", "Email Address", "How likely are you to recommend us?", "Why?"],
      ["", "", "Response", "Open-Ended Response"],
      ["114001", "ann@acme.com", "9", "Great team"]], (0, 2)),
    # a full row of group headings repeated over their columns, then the column names
    ([["Deal", "Deal", "Dates", "Dates"], ["Id", "Customer", "Opened", "Closed"],
      ["D-1", "Acme Corp", "2025-01-02", "2025-02-03"]], (1, 1)),
    # an export of names only: its first line stays the header, nothing is skipped
    ([["Name", "Company", "Region"], ["Ann Lee", "Acme Corp", "EMEA"], ["Bo Chan", "Beta Ltd", "Americas"]], (0, 1)),
])
def test_the_header_is_found_below_what_stands_above_it(head, place):
    found = mapping.find_header(head)
    assert (found.skip_rows, found.header_rows) == place
    assert bool(found.notes) == (place != (0, 1))  # whatever is skipped or joined is said


def test_two_digit_years_are_read_by_percent_y_never_as_the_year_24(world_db, tmp_path, reader):
    # DuckDB's %Y reads "03/15/24" as 15 March of the year 24; the values tell %m/%d/%y ("11/20/23": month first)
    draft = tmp_path / "deals.yaml"
    assert main(["map", str(UNKNOWN / "crm_deals_two_digit_years.csv"), "--out", str(draft)]) == 0
    text = draft.read_text()
    assert 'close_date: {from: "Closed", type: "date", format: "%m/%d/%y"}' in text
    db = copy_of(world_db, tmp_path)
    ingest([UNKNOWN / "crm_deals_two_digit_years.csv"], db=db, mappings=[draft], data_docs=False)
    assert reader(db).execute("""SELECT opportunity_id, created_date, close_date FROM fct_opportunity
                                 WHERE opportunity_id LIKE 'Y-%' ORDER BY 1""").fetchall() == [
        ("Y-1", dt.date(2024, 1, 5), dt.date(2024, 3, 15)), ("Y-2", dt.date(2024, 2, 1), dt.date(2024, 4, 2)),
        ("Y-3", dt.date(2023, 11, 20), dt.date(2023, 12, 28))]


def test_two_digit_years_written_day_first_are_told_from_a_day_above_12(tmp_path):
    export = tmp_path / "tickets.csv"
    export.write_text("Ticket ID,Client,Opened\nT-1,Acme Corp,15.03.24\nT-2,Beta Ltd,02.04.24\nT-3,Acme Corp,28.11.23\n")
    profile = mapping.profile(export).columns["Opened"]
    assert profile.date_formats == ["%d.%m.%y"]  # "%d.%m.%Y" would read the year 24, and is refused


def test_a_saved_layout_stays_in_the_layouts_folder_and_replaces_no_layout_unasked(tmp_path, monkeypatch):
    monkeypatch.setenv("WINWIN_LAYOUTS", str(tmp_path / "layouts"))
    text = mapping.draft(UNKNOWN / "psa_budget.csv").yaml()
    path = mapping.save_layout(text, "../../etc/Acme PSA")  # a name, never a path
    assert path == tmp_path / "layouts" / "etc_acme_psa.yaml" and path.read_text() == text
    with pytest.raises(IngestError, match="'salesforce_opportunities' is the name of a bundled layout"):
        mapping.save_layout(text, "Salesforce opportunities")
    with pytest.raises(IngestError, match="'etc_acme_psa' is the name of a saved layout"):
        mapping.save_layout(text, "etc acme psa")
    assert mapping.save_layout(text, "etc acme psa", replace=True) == path
    with pytest.raises(IngestError, match="rows are identified by 'project_id'"):
        mapping.save_layout("table: fct_project\ncolumns: {}\n", "broken")  # a mapping that cannot load
    with pytest.raises(IngestError, match="needs a name"):
        mapping.save_layout(text, "../..")
    assert [p.name for p in (tmp_path / "layouts").iterdir()] == ["etc_acme_psa.yaml"]  # nothing half-written
