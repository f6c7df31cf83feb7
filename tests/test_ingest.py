"""Ingest behaviour: lineage, reconciliation, idempotence, updates, rejection, atomic builds."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from pipelines import warehouse
from pipelines.adapters import IngestError
from pipelines.ingest import ingest
from tests.conftest import WORLD


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path) -> Path:
    """A private copy of the fixture world's warehouse that a test may change."""
    target = tmp_path / "warehouse.duckdb"
    ingest([WORLD], db=target)
    return target


def test_every_row_keeps_its_lineage(db, reader):
    con = reader(db)
    for table in warehouse.CANONICAL_COLUMNS:
        missing = con.execute(
            f"""SELECT count(*) FROM {table} WHERE source_file IS NULL OR length(file_sha256) <> 64
                OR source_row IS NULL OR loaded_at IS NULL"""
        ).fetchone()[0]
        assert missing == 0, table
    row = con.execute("SELECT source_file, source_row FROM fct_opportunity WHERE opportunity_id = '0065g00000OPP003AAA'").fetchone()
    assert row == ("salesforce_opportunities.csv", 3)


def test_every_input_row_is_loaded_or_quarantined(db, reader):
    con = reader(db)
    files = con.execute(
        "SELECT file_name, rows_in, rows_inserted + rows_updated + rows_unchanged + rows_quarantined FROM load_log"
    ).fetchall()
    assert len(files) == 7 and all(rows_in == parts for _, rows_in, parts in files)
    # 8 + 7 data rows in the two survey files and the deals file; footers and blank lines are not rows
    counts = dict(con.execute("SELECT file_name, rows_in FROM load_log").fetchall())
    assert counts["salesforce_opportunities.csv"] == 8
    assert counts["salesforce_accounts.csv"] == 3


def test_quarantine_keeps_the_reason_and_the_record_as_exported(db, reader):
    rows = reader(db).execute("SELECT source_file, source_row, reason, record FROM quarantine ORDER BY source_file").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("qualtrics_nps.csv", 7, "no matching account"),
        ("salesforce_opportunities.csv", 8, "missing close_date; unreadable close_date"),
        ("surveymonkey_csat.csv", 4, "csat score outside 1-5"),
    ]
    assert '"Close Date": "2/30/2025"' in rows[1][3]


def test_loading_the_same_file_twice_changes_nothing(db):
    before = digest(db)
    results = ingest([WORLD / "salesforce_opportunities.csv"], db=db)
    assert results[0].skipped
    assert digest(db) == before


def test_same_records_under_another_name_are_unchanged(db, tmp_path, reader):
    copy = tmp_path / "opps_again.csv"
    copy.write_text((WORLD / "salesforce_opportunities.csv").read_text() + "\n")  # other bytes, same rows
    result = ingest([copy], db=db)[0]
    assert (result.inserted, result.updated, result.unchanged, result.quarantined) == (0, 0, 7, 1)


def test_a_later_export_updates_records_by_natural_key(db, tmp_path, reader):
    later = tmp_path / "opportunities_later.csv"
    later.write_text((WORLD / "salesforce_opportunities.csv").read_text().replace("USD 50,000.00", "USD 55,000.00"))
    result = ingest([later], db=db)[0]
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 6)
    con = reader(db)
    amount, source = con.execute(
        "SELECT amount, source_file FROM fct_opportunity WHERE opportunity_id = '0065g00000OPP002AAA'"
    ).fetchone()
    assert (float(amount), source) == (55_000, "opportunities_later.csv")
    assert con.execute("SELECT count(*) FROM fct_opportunity").fetchone()[0] == 7


def test_an_export_mixing_new_and_changed_records_inserts_the_new_and_updates_the_changed(db, tmp_path, reader):
    text = (WORLD / "salesforce_opportunities.csv").read_text().replace("USD 50,000.00", "USD 55,000.00")
    new_deal = ('"Rita Rep","Beta Ltd","0015g00000BETA01AAA","Beta extension","0065g00000OPP009AAA","Closed Won",'
                '"USD 12,345.00","100","2/1/2025","5/1/2025","Web","Existing Business","","Mid-market"\n')
    later = tmp_path / "opportunities_later.csv"
    later.write_text(text.replace("\n\n", "\n" + new_deal + "\n", 1))
    result = ingest([later], db=db)[0]
    assert (result.inserted, result.updated, result.unchanged, result.quarantined) == (1, 1, 6, 1)
    rows = reader(db).execute(
        "SELECT opportunity_id, amount, source_file, source_row FROM fct_opportunity ORDER BY opportunity_id"
    ).fetchall()
    assert len(rows) == 8  # eight keys, each once (OPP008 is quarantined)
    by_key = {key[len("0065g00000"):][:6]: (float(amount), source, row) for key, amount, source, row in rows}
    assert by_key["OPP002"] == (55_000, "opportunities_later.csv", 2)
    assert by_key["OPP009"] == (12_345, "opportunities_later.csv", 9)
    assert by_key["OPP001"] == (100_000, "salesforce_opportunities.csv", 1)  # unchanged rows keep their lineage
    again = tmp_path / "opportunities_again.csv"
    again.write_text(later.read_text() + "\n")
    repeat = ingest([again], db=db)[0]
    assert (repeat.inserted, repeat.updated, repeat.unchanged, repeat.quarantined) == (0, 0, 8, 1)


def test_missing_required_column_rejects_the_file_and_leaves_the_warehouse(db, tmp_path):
    broken = tmp_path / "deals.csv"
    broken.write_text((WORLD / "salesforce_opportunities.csv").read_text().replace('"Close Date"', '"Closing"'))
    good = tmp_path / "more_accounts.csv"
    good.write_text((WORLD / "salesforce_accounts.csv").read_text().replace("ACME01", "ACME09"))
    before = digest(db)
    with pytest.raises(IngestError) as error:
        ingest([good, broken], db=db, layout_name=None)
    message = str(error.value)
    assert "deals.csv" in message and "unknown layout" in message and "Close Date" in message
    assert "salesforce_opportunities" in message and "Nothing was loaded" in message
    assert digest(db) == before  # the good file of the same run did not land either


def test_forced_layout_names_the_missing_columns(db, tmp_path):
    broken = tmp_path / "deals.csv"
    broken.write_text((WORLD / "salesforce_opportunities.csv").read_text().replace('"Amount"', '"Value"'))
    with pytest.raises(IngestError, match=r"deals.csv: missing required column\(s\) \['Amount'\] for layout salesforce_opportunities"):
        ingest([broken], db=db, layout_name="salesforce_opportunities")


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "the file is empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF or ZIP"),
        (b"\x00\x01\x02\x03binary\x00\x00", "binary"),
        (b"just,some,words\n1,2,3\n", "unknown layout"),
    ],
)
def test_unreadable_files_are_rejected_with_their_name(db, tmp_path, content, expected):
    bad = tmp_path / "export.csv"
    bad.write_bytes(content)
    before = digest(db)
    with pytest.raises(IngestError, match=expected) as error:
        ingest([bad], db=db)
    assert "export.csv" in str(error.value)
    assert digest(db) == before


def test_unknown_layout_lists_the_three_closest_and_how_to_map(tmp_path):
    odd = tmp_path / "crm.csv"
    odd.write_text("Opportunity ID,Account ID,Stage\n1,2,3\n")
    with pytest.raises(IngestError) as error:
        ingest([odd], db=tmp_path / "w.duckdb")
    message = str(error.value)
    assert message.count("  - ") == 3
    assert "salesforce_opportunities" in message.split("closest")[1].splitlines()[1]
    assert "--mapping my_layout.yaml" in message
    assert not (tmp_path / "w.duckdb").exists()


def test_sql_looking_values_are_data(db, tmp_path, reader):
    evil = tmp_path / "accounts.csv"
    evil.write_text(
        (WORLD / "salesforce_accounts.csv").read_text().replace("Beta Ltd", "x'); DROP TABLE dim_account;--")
    )
    ingest([evil], db=db)
    con = reader(db)
    assert con.execute("SELECT account_name FROM dim_account WHERE account_id = '0015g00000BETA01AAA'").fetchone() == (
        "x'); DROP TABLE dim_account;--",
    )


def test_a_failing_build_leaves_the_previous_warehouse(db, tmp_path):
    changed = tmp_path / "accounts_v2.csv"
    changed.write_text((WORLD / "salesforce_accounts.csv").read_text().replace("Acme Corp", "Acme AG"))
    before = digest(db)

    def fail_late(message):
        if message.startswith("building marts"):
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        ingest([changed], db=db, progress=fail_late)
    assert digest(db) == before
    assert [p.name for p in db.parent.iterdir() if "building" in p.name] == []


def test_a_second_writer_waits_then_fails_clearly(db, tmp_path):
    changed = tmp_path / "accounts_v2.csv"
    changed.write_text((WORLD / "salesforce_accounts.csv").read_text().replace("Acme Corp", "Acme AG"))
    with warehouse.writer_lock(db):
        with pytest.raises(warehouse.WarehouseBusy, match="another ingest is writing"):
            ingest([changed], db=db, lock_wait=0.5)


def test_a_reader_keeps_its_build_while_a_new_one_is_swapped_in(db, tmp_path, reader):
    old = reader(db)
    changed = tmp_path / "accounts_v2.csv"
    changed.write_text((WORLD / "salesforce_accounts.csv").read_text().replace("Acme Corp", "Acme AG"))
    ingest([changed], db=db)
    query = "SELECT account_name FROM dim_account WHERE account_id = '0015g00000ACME01AAA'"
    assert old.execute(query).fetchone() == ("Acme Corp",)
    assert reader(db).execute(query).fetchone() == ("Acme AG",)


def test_stale_build_files_of_a_killed_ingest_are_swept(db, tmp_path):
    stale = db.with_name(f".{db.name}.building-12345-deadbeef")
    shutil.copyfile(db, stale)
    changed = tmp_path / "accounts_v2.csv"
    changed.write_text((WORLD / "salesforce_accounts.csv").read_text().replace("Acme Corp", "Acme AG"))
    ingest([changed], db=db)
    assert not stale.exists()


def test_gx_still_has_the_batch_fingerprint_switch_validation_turns_off():
    # pipelines/validation.py sets it to 0: hashing every staged frame cost 4x the validation.
    # A GX upgrade that renames it must fail here, not silently make ingest slow again.
    from great_expectations.execution_engine import pandas_execution_engine

    source = Path(pandas_execution_engine.__file__).read_text(encoding="utf-8")
    assert "df.memory_usage().sum() < HASH_THRESHOLD" in source


def test_a_changed_mapping_loads_an_already_loaded_file_anew(tmp_path, reader):
    # The user's first mapping lacks "Web": OPP002's lead source is unmapped (loaded as empty).
    bundled = Path("pipelines/sources/salesforce_opportunities.yaml").read_text(encoding="utf-8")
    assert "      Web: marketing\n" in bundled
    first = tmp_path / "salesforce_opportunities.yaml"
    first.write_text(bundled.replace("      Web: marketing\n", ""), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    deals = WORLD / "salesforce_opportunities.csv"
    ingest([WORLD / "salesforce_accounts.csv"], db=db)
    assert ingest([deals], db=db, mappings=[first])[0].unmapped == {"lead_source": {"Web": 2}}
    # The same bytes with the mapping fixed are not "already loaded": they are read again.
    result = ingest([deals], db=db)[0]
    assert not result.skipped and (result.updated, result.quarantined, result.unmapped) == (1, 1, {})
    con = reader(db)
    query = "SELECT lead_source FROM fct_opportunity WHERE opportunity_id = '0065g00000OPP002AAA'"
    assert con.execute(query).fetchone() == ("marketing",)
    assert con.execute("SELECT count(*) FROM unmapped_value").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (1,)  # OPP008, once
    assert ingest([deals], db=db)[0].skipped  # and now it is the same file read the same way


@pytest.fixture
def staged_deals():
    """A staged opportunities table as a mapping of the user's own could produce it."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        """CREATE TABLE staged AS SELECT * FROM (VALUES
            (1, 'D1', 'A1', DATE '2025-02-01', DATE '2025-01-05', 'marketing', TRUE, TRUE),
            (2, 'D2', 'A1', DATE '2025-02-01', DATE '2025-01-05', 'Web', FALSE, FALSE),
            (3, 'D3', 'A1', DATE '2025-02-01', DATE '2025-01-05', 'sales', TRUE, FALSE),
            (4, 'D4', 'A1', DATE '2025-01-01', DATE '2025-01-05', 'sales', FALSE, TRUE))
        AS t(source_row, opportunity_id, account_id, close_date, created_date, lead_source, is_won, is_closed)"""
    )
    yield con
    con.close()


def test_a_value_outside_the_vocabulary_is_quarantined(staged_deals):
    from pipelines import validation

    failed = validation.validate(staged_deals, "staged", "fct_opportunity").failed_rows.set_index("source_row")["reason"]
    assert failed[2] == "lead_source not one of delivery, marketing, sales, partner, customer_referral, other"


def test_a_won_deal_that_is_not_closed_is_quarantined(staged_deals):
    from pipelines import validation

    failed = validation.validate(staged_deals, "staged", "fct_opportunity").failed_rows.set_index("source_row")["reason"]
    assert failed[3] == "won but not closed"


def test_a_deal_closed_before_it_was_created_only_warns(staged_deals):
    from pipelines import validation

    outcome = validation.validate(staged_deals, "staged", "fct_opportunity")
    assert 4 not in set(outcome.failed_rows["source_row"])  # D4 loads
    warned = outcome.results.query("action == 'warning' and not success")
    assert warned[["column_name", "unexpected_count", "sample"]].values.tolist() == [["close_date", 1, "2025-01-01 / 2025-01-05"]]


def test_every_build_stores_its_validation_and_writes_data_docs(db, reader):
    con = reader(db)
    build_id = con.execute("SELECT build_id FROM build_info").fetchone()[0]
    checked = con.execute(
        "SELECT count(DISTINCT coalesce(source_file, 'warehouse')) FROM validation_result WHERE build_id = ?", [build_id]
    ).fetchone()
    assert checked == (8,)  # the seven files and the whole warehouse's references
    index = warehouse.docs_dir(db) / "index.html"
    assert index.exists() and "warehouse_references" in index.read_text(encoding="utf-8")


def references_stored(con) -> dict:
    """The build's reference check as validation_result holds it: (table, column) -> (count, sample)."""
    return {(table, column): (count, sample) for table, column, count, sample in con.execute(
        """SELECT table_name, column_name, unexpected_count, sample FROM validation_result
           WHERE build_id = (SELECT build_id FROM build_info) AND source_file IS NULL""").fetchall()}


def test_a_load_checks_the_references_of_its_own_rows_and_still_counts_the_whole_warehouse(db, tmp_path, reader):
    """Where the build before found every reference whole, a load checks only the rows it wrote
    (validation.validate_build): a new answer naming no account is found, an escalation an earlier
    load left naming no project is still counted, and the counts equal checking every row."""
    from pipelines import validation

    tickets = tmp_path / "jira_escalations.csv"
    lines = (WORLD / "jira_escalations.csv").read_text(encoding="utf-8").splitlines()
    tickets.write_text("\n".join([lines[0], lines[1].replace("ESC-1,10001", "ESC-9,10009").replace("P-000003", "P-NOSUCH")]) + "\n",
                       encoding="utf-8")
    ingest([tickets], db=db, data_docs=False)
    answers = tmp_path / "qualtrics_nps.csv"
    lines = (WORLD / "qualtrics_nps.csv").read_text(encoding="utf-8").splitlines()
    answers.write_text("\n".join(lines[:3] + [lines[3].replace("R_fixture000000001", "R_new1"),
                                              lines[4].replace("R_fixture000000002", "R_new2").replace("ACME01", "NOSUCH")]) + "\n",
                       encoding="utf-8")
    ingest([answers], db=db, data_docs=False)
    con = reader(db)
    stored = references_stored(con)
    assert stored[("fct_escalation", "project_id")] == (1, "P-NOSUCH")
    assert stored[("fct_survey_response", "account_id")] == (1, "0015g00000NOSUCHAAA")
    every_row = validation.validate_build(con).results
    assert stored == {(r.table_name, r.column_name): (r.unexpected_count, r.sample) for r in every_row.itertuples()}


# --- Upgrading a warehouse built by an earlier version ----------------------------------------


def built_before(db: Path, *columns: str) -> Path:
    """``db`` as an earlier version left it: without these "table.column"s (NULL-able additions)."""
    import duckdb

    con = duckdb.connect(str(db))
    for column in columns:
        table, name = column.split(".")
        con.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
    con.close()
    return db


def columns_of(db: Path, table: str) -> list[str]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]


def test_a_warehouse_from_before_mapping_hashes_is_upgraded_and_keeps_its_rows(db, tmp_path, reader):
    built_before(db, "load_log.mapping_sha256")
    more = tmp_path / "more_accounts.csv"
    more.write_text((WORLD / "salesforce_accounts.csv").read_text().replace("ACME01", "ACME09"))
    result = ingest([more], db=db)[0]
    assert (result.inserted, result.unchanged) == (1, 2)
    con = reader(db)
    assert con.execute("SELECT count(*) FROM dim_account").fetchone() == (4,)
    assert con.execute("SELECT count(*) FROM fct_opportunity").fetchone() == (7,)
    logged = con.execute("SELECT file_name, mapping_sha256 IS NOT NULL FROM load_log ORDER BY loaded_at").fetchall()
    assert len(logged) == 8 and logged[-1] == ("more_accounts.csv", True) and not any(hashed for _, hashed in logged[:-1])


def test_a_warehouse_from_before_sales_teams_keeps_its_deals_with_no_team(db, tmp_path, reader):
    built_before(db, "fct_opportunity.sales_team")
    more = tmp_path / "more_accounts.csv"
    more.write_text((WORLD / "salesforce_accounts.csv").read_text().replace("ACME01", "ACME09"))
    ingest([more], db=db)
    con = reader(db)  # the build that loaded the deals had no team column
    assert con.execute("SELECT count(*), count(sales_team) FROM fct_opportunity").fetchone() == (7, 0)
    assert con.execute("SELECT count(*), count(sales_team) FROM mart_opportunity").fetchone() == (7, 0)


def test_a_file_loaded_before_mapping_hashes_is_read_anew_once_then_skipped(db, reader):
    built_before(db, "load_log.mapping_sha256")
    deals = WORLD / "salesforce_opportunities.csv"
    first = ingest([deals], db=db)[0]
    assert not first.skipped and (first.inserted, first.updated, first.unchanged, first.quarantined) == (0, 0, 7, 1)
    con = reader(db)
    assert con.execute("SELECT count(*) FROM quarantine WHERE source_file = ?", [deals.name]).fetchone() == (1,)
    before = digest(db)
    assert ingest([deals], db=db)[0].skipped
    assert digest(db) == before


def test_a_reread_old_file_fills_the_column_the_upgrade_added(db, reader):
    built_before(db, "load_log.mapping_sha256", "fct_opportunity.sales_team")
    result = ingest([WORLD / "salesforce_opportunities.csv"], db=db)[0]
    assert (result.inserted, result.updated, result.unchanged) == (0, 7, 0)  # each deal gains its team
    teams = reader(db).execute("SELECT owner, sales_team, count(*) FROM fct_opportunity GROUP BY ALL ORDER BY 1").fetchall()
    assert teams == [("Rita Rep", "Mid-market", 5), ("Sam Seller", "Enterprise East", 2)]


def test_an_outdated_warehouse_is_upgraded_even_when_no_file_is_new(db):
    built_before(db, "validation_result.action")  # which an earlier version did not have either
    projects = WORLD / "kantata_projects.csv"
    assert ingest([projects], db=db)[0].skipped  # loaded before, same mapping
    assert "action" in columns_of(db, "validation_result")
    before = digest(db)
    assert ingest([projects], db=db)[0].skipped
    assert digest(db) == before  # upgraded once: now a no-op again


def test_a_failed_upgrade_leaves_the_old_file_as_it_was(db, tmp_path):
    built_before(db, "load_log.mapping_sha256")
    before = digest(db)

    def fail_late(message):
        if message.startswith("building marts"):
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        ingest([WORLD / "salesforce_opportunities.csv"], db=db, progress=fail_late)
    assert digest(db) == before
    assert "mapping_sha256" not in columns_of(db, "load_log")


# --- Keys across systems (tests/fixtures/keys) ---------------------------------------------
KEYS = Path(__file__).parent / "fixtures" / "keys"


@pytest.fixture(scope="module")
def keys_db(tmp_path_factory) -> Path:
    """The world, two deals carrying a Deal Number, a PSA export quoting it and a survey naming
    companies and projects, loaded in one run (several --mapping files)."""
    db = tmp_path_factory.mktemp("keys") / "warehouse.duckdb"
    ingest([WORLD], db=db, data_docs=False)
    ingest([KEYS], db=db, mappings=[KEYS / "psa_projects.yaml", KEYS / "company_survey.yaml"], data_docs=False)
    return db


def test_a_deal_carries_its_own_number(keys_db, reader):
    rows = reader(keys_db).execute(
        "SELECT opportunity_id, deal_reference FROM fct_opportunity WHERE deal_reference IS NOT NULL ORDER BY 1").fetchall()
    assert rows == [("0065g00000OPP101AAA", "D-2025-101"), ("0065g00000OPP102AAA", "D-2025-102")]


def test_a_project_finds_its_deal_by_the_deal_number(keys_db, reader):
    rows = dict(reader(keys_db).execute(
        "SELECT project_id, opportunity_id FROM fct_project WHERE project_id LIKE 'P-0001%'").fetchall())
    # by number, by number, a deal id quoted as it is, an unknown number: loaded without a deal
    assert rows == {"P-000101": "0065g00000OPP101AAA", "P-000102": "0065g00000OPP102AAA",
                    "P-000103": "0065g00000OPP001AAA", "P-000104": None}


def test_an_unknown_deal_number_warns_and_the_project_loads(keys_db, reader):
    warned = reader(keys_db).execute(
        """SELECT unexpected_count, sample FROM validation_result
        WHERE source_file = 'psa_projects.csv' AND column_name = 'opportunity_id' AND action = 'warning'""").fetchall()
    assert warned == [(1, "D-2099-999")]


def test_a_survey_without_account_ids_finds_accounts_by_name_and_project(keys_db, reader):
    con = reader(keys_db)
    rows = dict(con.execute(
        "SELECT response_id, (account_id, project_id) FROM fct_survey_response WHERE response_id LIKE 'S-%'").fetchall())
    assert rows == {
        "S-1": ("0015g00000ACME01AAA", "P-000101"),
        "S-2": ("0015g00000BETA01AAA", "P-000102"),  # the name in another case; the project by its deal number
        "S-3": ("0015g00000GAMM01AAA", None),
        "S-4": ("0015g00000BETA01AAA", "P-000102"),  # no company: the project's account
    }
    assert con.execute("SELECT source_row, reason FROM quarantine WHERE source_file = 'company_survey.csv'").fetchall() == [
        (5, "no matching account")]


def test_a_survey_mapping_with_no_way_to_its_account_is_refused_clearly(tmp_path):
    mapping = tmp_path / "scores_only.yaml"
    mapping.write_text("table: fct_survey_response\ncolumns:\n  response_id: Id\n  score: {from: Score, type: integer}\n"
                       "constants: {survey_type: nps}\n")
    export = tmp_path / "scores.csv"
    export.write_text("Id,Score\n1,9\n")
    with pytest.raises(IngestError, match="a survey answer needs its account: map account_id"):
        ingest([export], db=tmp_path / "w.duckdb", mappings=[mapping])
    assert not (tmp_path / "w.duckdb").exists()


def test_mapping_may_be_given_several_times_on_the_command_line(tmp_path, capsys, reader):
    from pipelines.__main__ import main

    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(WORLD), "--db", str(db)]) == 0
    command = ["ingest", "--mapping", str(KEYS / "psa_projects.yaml"), "--mapping", str(KEYS / "company_survey.yaml"),
               str(KEYS), "--db", str(db)]
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "psa_projects.csv [psa_projects -> fct_project]" in out
    assert "company_survey.csv [company_survey -> fct_survey_response]" in out
