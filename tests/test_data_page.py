"""The Data page renders in AppTest: tables, files loaded, freshness, validation, quarantine with
its reasons, the uploader; a new build shows without a restart."""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.adapters import IngestError
from pipelines.ingest import ingest_uploads
from tests.conftest import WORLD, run_app


def open_data_page(monkeypatch, db, query_params: dict | None = None) -> AppTest:
    at = run_app(monkeypatch, db, query_params)
    at.switch_page("pages/data.py")
    return at.run()


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has ``column``."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


@pytest.fixture
def own_db(world_db, tmp_path):
    """A copy of the fixture world's warehouse that a test may load more into."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(world_db, db)
    return db


def test_data_page_shows_files_and_quarantine_with_reasons(monkeypatch, world_db):
    at = open_data_page(monkeypatch, world_db)
    assert not at.exception
    tables = frame_with(at, "Holds").set_index("Table")["Rows"]
    assert tables["fct_opportunity"] == 7 and tables["dim_account"] == 3
    assert len(frame_with(at, "Loaded by")) == 7  # the seven files of the fixture world
    reasons = frame_with(at, "Reason").set_index("Reason")["Rows"]
    assert reasons.to_dict() == {"no matching account": 1, "missing close_date; unreadable close_date": 1,
                                 "csat score outside 1-5": 1}
    assert len(frame_with(at, "Record")) == 3
    assert any("Download these 3 rows" in b.proto.label for b in at.get("download_button"))


def test_data_page_filters_the_quarantine_by_reason_from_the_url(monkeypatch, world_db):
    at = open_data_page(monkeypatch, world_db, {"reason": "no matching account"})
    assert not at.exception
    rows = frame_with(at, "Record")
    assert rows[["Source file", "Row"]].values.tolist() == [["qualtrics_nps.csv", 7]]


def test_data_page_shows_freshness_per_source(monkeypatch, world_db):
    at = open_data_page(monkeypatch, world_db)
    fresh = frame_with(at, "Latest event").set_index("Layout")
    assert len(fresh) == 7  # one per layout of the fixture world
    # qualtrics_nps.csv's latest RecordedDate; the accounts record no event
    assert fresh.loc["qualtrics_nps", "Latest event"] == "01 Oct 2025"
    assert fresh.loc["salesforce_accounts", "Latest event"] == "—"


def test_data_page_shows_the_last_validation_per_table(monkeypatch, world_db):
    at = open_data_page(monkeypatch, world_db)
    summary = frame_with(at, "Failed to quarantine").set_index("Table")
    # OPP008's close date 2/30/2025: "not null" and "readable" fail; OPP rows otherwise pass
    assert summary.loc["fct_opportunity", "Failed to quarantine"] == 2
    assert summary.loc["fct_survey_response", "Rows quarantined"] == 2  # one per survey file
    assert summary["Failed as warning"].sum() == 0  # every reference of the fixture world resolves
    failing = frame_with(at, "Rows failing")
    assert set(failing["Checked"]) == {"salesforce_opportunities.csv", "qualtrics_nps.csv", "surveymonkey_csat.csv"}


def test_data_page_offers_the_gx_data_docs(monkeypatch, world_db):
    at = open_data_page(monkeypatch, world_db)
    assert any("GX Data Docs" in b.proto.label for b in at.get("download_button"))


def test_data_page_uploader_states_its_size_limit(monkeypatch, world_db):
    at = open_data_page(monkeypatch, world_db)
    assert "up to 200 MB each" in at.get("file_uploader")[0].proto.label  # .streamlit/config.toml


def test_an_upload_shows_on_the_page_without_a_restart(monkeypatch, own_db):
    at = open_data_page(monkeypatch, own_db)
    assert frame_with(at, "Holds").set_index("Table")["Rows"]["dim_account"] == 3
    more = (WORLD / "salesforce_accounts.csv").read_bytes().replace(b"ACME01", b"ACME09")
    results = ingest_uploads([("accounts from the browser.csv", more)], db=own_db)
    assert (results[0].file_name, results[0].inserted, results[0].unchanged) == ("accounts from the browser.csv", 1, 2)
    at.run()
    assert frame_with(at, "Holds").set_index("Table")["Rows"]["dim_account"] == 4


def test_a_bad_upload_names_the_file_and_keeps_the_last_good_build(own_db):
    before = hashlib.sha256(own_db.read_bytes()).hexdigest()
    with pytest.raises(IngestError, match="report.csv: this is a PDF or ZIP file"):
        ingest_uploads([("../../report.csv", b"%PDF-1.7\n")], db=own_db)
    assert hashlib.sha256(own_db.read_bytes()).hexdigest() == before


def test_data_page_on_an_empty_warehouse(monkeypatch, empty_db):
    at = open_data_page(monkeypatch, empty_db)
    assert not at.exception
    assert "No file loaded yet" in at.info[0].value and at.success[0].value == "No row was quarantined."


def test_data_page_without_a_warehouse_says_how_to_load(monkeypatch, tmp_path):
    at = open_data_page(monkeypatch, tmp_path / "none.duckdb")
    assert not at.exception and "load your exports above" in at.info[0].value
    assert at.get("file_uploader")  # and offers to load here


def test_the_app_never_imports_great_expectations():
    # GX takes seconds to import; validation imports it lazily, so a page start must not pay it.
    import ast
    import subprocess
    import sys

    from tests.conftest import ROOT

    sources = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    modules = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in {"pipelines", "ui"}:
                modules.add(node.module)
                modules.update(f"{node.module}.{a.name}" for a in node.names if (ROOT / node.module.replace(".", "/") / f"{a.name}.py").exists())
            elif isinstance(node, ast.Import):
                modules.update(a.name for a in node.names if a.name.split(".")[0] in {"pipelines", "ui"})
    assert {"pipelines.ingest", "pipelines.status", "ui.data"} <= modules
    code = f"import sys\nfor m in {sorted(modules)!r}: __import__(m)\nprint('great_expectations' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "False"


# --- The mapping step (issue 13): an export of a tool no layout knows, mapped on the page ---------
# tests/fixtures/mapping_step: a Copper CRM deals export with the firm's own column names ("Deal
# Ref", "Company", "Value", "Lead Origin", "Assignee") under a title line, May's then June's.
MAPPING_STEP = Path(__file__).parent / "fixtures" / "mapping_step"
MAY, JUNE = MAPPING_STEP / "copper_deals_2025-05.csv", MAPPING_STEP / "copper_deals_2025-06.csv"


def upload(at: AppTest, *paths: Path) -> AppTest:
    at.get("file_uploader")[0].set_value([(p.name, p.read_bytes(), "text/csv") for p in paths])
    return at.run()


def step_key(path: Path, column: str) -> str:
    return f"map-{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}-{column}"


def test_an_unknown_upload_is_mapped_saved_and_loaded_on_the_page_and_next_month_loads_without_the_step(
        monkeypatch, own_db, tmp_path, reader):
    monkeypatch.setenv("WINWIN_LAYOUTS", str(tmp_path / "layouts"))
    at = upload(open_data_page(monkeypatch, own_db), MAY)
    assert not at.exception
    assert any("is not an export Win-Win knows" in w.value and "python" not in w.value for w in at.warning)
    assert "The column names are on line 2." in [c.value.replace("\\", "") for c in at.caption]  # the title line said
    assert at.selectbox(key=step_key(MAY, "table")).value == "fct_opportunity"  # the assistant's guess
    # the assistant found no key and no owner: blank, never a guess; the rest prefilled
    key, owner = (at.selectbox(key=step_key(MAY, f"fct_opportunity-{c}")) for c in ("opportunity_id", "owner"))
    assert key.value == owner.value == "— leave blank —"
    assert at.selectbox(key=step_key(MAY, "fct_opportunity-amount")).value == "Value"
    assert any("Still to decide: Deal" in w.value for w in at.warning)
    at = key.set_value("Deal Ref").run()
    at = at.selectbox(key=step_key(MAY, "fct_opportunity-owner")).set_value("Assignee").run()
    preview = frame_with(at, "Verdict")
    assert preview["Verdict"].tolist() == ["loads", "loads", "loads", "unreadable amount", "loads", "loads"]
    assert preview["Deal"].tolist()[:2] == ["CU-101", "CU-102"] and preview["Sales rep"].tolist()[0] == "Sam Seller"
    assert at.text_input(key=step_key(MAY, "name")).value == "copper_deals"  # the file's month is not the tool's name
    at = at.text_input(key=step_key(MAY, "name")).set_value("Copper deals").run()
    at = at.button(key=step_key(MAY, "save")).click().run()
    saved = tmp_path / "layouts" / "copper_deals.yaml"
    assert saved.exists() and 'opportunity_id: {from: "Deal Ref"}' in saved.read_text()
    at = at.button(key=step_key(MAY, "load")).click().run()
    assert not at.exception
    # 5 of 6 rows load; the unreadable amount is a warning that says how many and where, not a success
    [warning] = [w.value for w in at.warning if "quarantined" in w.value]
    assert "1 of 6 rows quarantined" in warning and "(#quarantine)" in warning
    con = reader(own_db)
    assert con.execute("""SELECT opportunity_id, account_id, owner, amount, is_won, lead_source FROM fct_opportunity
                          WHERE opportunity_id LIKE 'CU-%' ORDER BY 1""").fetchall() == [
        ("CU-101", "0015g00000ACME01AAA", "Sam Seller", Decimal("42000.00"), True, "partner"),
        ("CU-102", "0015g00000BETA01AAA", "Rita Rep", Decimal("18500.00"), False, "marketing"),
        ("CU-103", "0015g00000GAMM01AAA", "Sam Seller", Decimal("9900.00"), True, "delivery"),
        ("CU-105", "0015g00000BETA01AAA", "Rita Rep", Decimal("27250.50"), True, "marketing"),
        ("CU-106", "0015g00000GAMM01AAA", "Rita Rep", Decimal("61000.00"), False, "partner"),
    ]
    con.close()
    # June's export of the same tool: recognised by the saved layout, no mapping step
    at = upload(at, JUNE)
    assert not [s for s in at.selectbox if (s.key or "").startswith(step_key(JUNE, ""))]
    assert any("recognised as Copper deals" in c.value for c in at.caption)
    at = at.button[[b.label for b in at.button].index("Load 1 file(s)")].click().run()
    # CU-104 (quarantined in May) and CU-107 are new, CU-106 is unchanged
    assert any("all 3 rows loaded as copper\\_deals (2 new, 0 updated, 1 unchanged)" in s.value for s in at.success)
    # May's five (158,650.50) + CU-104 50,000.00 + CU-107 7,800.00
    assert reader(own_db).execute("""SELECT count(*), sum(amount) FROM fct_opportunity
                                     WHERE opportunity_id LIKE 'CU-%'""").fetchone() == (7, Decimal("216450.50"))


def test_an_analyst_sees_the_data_page_but_neither_the_uploader_nor_the_mapping_step(monkeypatch, own_db):
    # The analyst role reads the Data page and may not load (pipelines/access.py); a local server's
    # visitor is the admin, so the role is given here as a login would give it.
    from pipelines import access

    monkeypatch.setattr(access, "local_access", lambda: access.Access("ana@example.com", "analyst"))
    at = open_data_page(monkeypatch, own_db)
    assert not at.exception
    assert at.get("file_uploader")[0].proto.disabled
    assert any("Loading exports is for the loader and admin roles" in i.value for i in at.info)
    assert not [b for b in at.button if b.label.startswith(("Load", "Save layout"))]


def test_a_refused_upload_says_what_to_do_in_words_without_command_line_flags(monkeypatch, own_db):
    # Two questions mention recommending: the Typeform layout cannot tell which is the NPS score
    two = Path(__file__).parent / "fixtures" / "firm" / "typeform_two_recommend_questions.csv"
    before = hashlib.sha256(own_db.read_bytes()).hexdigest()
    at = upload(open_data_page(monkeypatch, own_db), two)
    at = at.button(key="load-known").click().run()
    [error] = [e.value.replace("\\", "") for e in at.error]  # as shown: the markdown escapes dropped
    assert "both fit typeform_nps's score; say which: map the file yourself (the button below)" in error
    assert "--" not in error and "python" not in error and "Nothing was loaded" in error
    assert hashlib.sha256(own_db.read_bytes()).hexdigest() == before
    # the button opens the mapping step, where the assistant leaves the score to a person too
    at = at.button(key=f"map-anyway-{hashlib.sha256(two.read_bytes()).hexdigest()[:16]}").click().run()
    assert at.selectbox(key=step_key(two, "table")).value == "fct_survey_response"
    assert at.selectbox(key=step_key(two, "fct_survey_response-score")).value == "— leave blank —"


def test_a_person_tells_the_step_what_the_values_cannot_day_first_dates(monkeypatch, own_db):
    # 03/04/2025 and 05/06/2025: no day above 12, so the assistant leaves both dates blank and asks
    deals = Path(__file__).parent / "fixtures" / "unknown" / "crm_deals_daymonth.csv"
    at = upload(open_data_page(monkeypatch, own_db), deals)
    assert any("Close date" in w.value for w in at.warning if "Still to decide" in w.value)
    assert "Close date" not in frame_with(at, "Verdict").columns  # blank: loads nothing, never a guess
    at = at.selectbox(key=step_key(deals, "day-first")).set_value(True).run()
    assert not [w for w in at.warning if "Still to decide" in w.value]
    preview = frame_with(at, "Verdict")
    assert preview["Close date"].tolist() == ["05 Jun 2025", "04 Feb 2025"]  # D-1 closed 05/06/2025, day first
    assert preview["Created date"].tolist() == ["03 Apr 2025", "02 Jan 2025"]
    # "Referral" is a lead source the assistant could not read: left blank until a person names it
    assert preview["Lead source"].tolist() == ["—", "marketing"]
    at = at.selectbox(key=step_key(deals, "lead_source-value-Referral")).set_value("customer_referral").run()
    assert frame_with(at, "Verdict")["Lead source"].tolist() == ["customer_referral", "marketing"]


def test_the_mapping_step_proposes_the_column_holding_the_warehouses_account_ids(monkeypatch, own_db, tmp_path):
    # A survey tool's export whose account column is named like nothing ("Custom Data 1", as
    # SurveyMonkey names custom variables) but holds the CRM's account ids the warehouse has.
    survey = tmp_path / "pulse_survey.csv"
    survey.write_text("Entry Id,Submitted At,How satisfied were you with our service? (1-5),Custom Data 1\n"
                      "E-1,2025-05-02,4,0015g00000ACME01AAA\nE-2,2025-05-03,2,0015g00000BETA01AAA\n"
                      "E-3,2025-05-04,5,0015g00000GAMM01AAA\nE-4,2025-05-05,3,0015g00000ACME01AAA\n")
    at = upload(open_data_page(monkeypatch, own_db), survey)
    assert not at.exception
    at = at.selectbox(key=step_key(survey, "table")).set_value("fct_survey_response").run()
    assert at.selectbox(key=step_key(survey, "fct_survey_response-account_id")).value == "Custom Data 1"
