"""The bad input corpus: every file in tests/bad_inputs gets the outcome EXPECTED.md gives it,
and nothing loaded before is lost."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines import status, warehouse
from pipelines.adapters import IngestError
from pipelines.reporting.spreadsheet import spreadsheet_safe_csv
from pipelines.ingest import ingest
from tests.conftest import WORLD

CORPUS = Path(__file__).parent / "bad_inputs"
# The generated large file: big enough to need bulk reads, small enough for a quick test.
LARGE_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Expected:
    file: str
    outcome: str  # rejected | loaded
    rows: int | None
    quarantined: int | None
    expect: str  # rejected: text of the message; loaded: the quarantine reason, or "-"
    also: str  # "warning: COLUMN", "unmapped: COLUMN=VALUE" or ""


def expected_outcomes() -> list[Expected]:
    lines = [ln for ln in (CORPUS / "EXPECTED.md").read_text(encoding="utf-8").splitlines() if ln.startswith("| ")]
    rows = []
    for line in lines[1:]:  # the first is the heading
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        file, outcome, n, q, expect, also = cells
        rows.append(Expected(file, outcome, int(n) if n else None, int(q) if q else None, expect, also))
    return rows


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def keys(con) -> set[tuple[str, str]]:
    return {
        (table, key)
        for table, column in warehouse.NATURAL_KEYS.items()
        for (key,) in con.execute(f"SELECT {column} FROM {table}").fetchall()
    }


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("corpus") / "base.duckdb"
    ingest([WORLD], db=db, data_docs=False)
    return db


@pytest.fixture
def db(base_db, tmp_path) -> Path:
    """A private copy of the fixture world's warehouse for one corpus file."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(base_db, target)
    return target


def test_the_corpus_lists_every_file_and_at_least_25():
    listed = {e.file for e in expected_outcomes()}
    assert listed == {p.name for p in CORPUS.iterdir() if p.name != "EXPECTED.md"}
    assert len(listed) >= 25


@pytest.mark.parametrize("case", expected_outcomes(), ids=lambda e: e.file)
def test_bad_input_gets_its_expected_outcome(case, db, reader):
    before_digest = digest(db)
    with warehouse.connect_readonly(db) as con:
        before = keys(con)
    path = CORPUS / case.file
    if case.outcome == "rejected":
        with pytest.raises(IngestError) as error:
            ingest([path], db=db, data_docs=False)
        assert case.file in str(error.value) and case.expect in str(error.value)
        assert digest(db) == before_digest
        return
    assert case.outcome == "loaded", case
    result = ingest([path], db=db, data_docs=False)[0]
    assert (result.rows_in, result.quarantined) == (case.rows, case.quarantined)
    assert result.reconciles()
    con = reader(db)
    reasons = {r for (r,) in con.execute("SELECT reason FROM quarantine WHERE source_file = ?", [case.file]).fetchall()}
    assert reasons == (set() if case.expect == "-" else {case.expect})
    assert before <= keys(con)  # nothing loaded before is lost
    if case.also.startswith("warning: "):
        failing = con.execute(
            """SELECT column_name FROM validation_result WHERE action = 'warning' AND NOT success
               AND build_id = (SELECT build_id FROM build_info)"""
        ).fetchall()
        assert failing == [(case.also.removeprefix("warning: "),)]
    if case.also.startswith("unmapped: "):
        column, value = case.also.removeprefix("unmapped: ").split("=")
        assert result.unmapped == {column: {value: 1}}


def test_text_in_any_encoding_loads_with_its_accents(db, reader):
    ingest([CORPUS / "utf16.csv", CORPUS / "mixed_encodings.csv", CORPUS / "latin1_semicolons.csv"], db=db, data_docs=False)
    names = {n for (n,) in reader(db).execute("SELECT account_name FROM dim_account").fetchall()}
    assert {"Zoë Straße AG", "Ægir Øst ASA", "Zoë UTF-8 GmbH", "Müller Windows SA", "Crème Brûlée SARL"} <= names


def test_formula_looking_cells_load_as_written_and_download_defused(db, reader):
    ingest([CORPUS / "formula_cells.csv", CORPUS / "formula_in_quarantined_row.csv"], db=db, data_docs=False)
    con = reader(db)
    names = {n for (n,) in con.execute("SELECT account_name FROM dim_account").fetchall()}
    assert {'=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3"} <= names
    rows = status.quarantined_rows(con, "unreadable amount")
    download = list(csv.DictReader(io.StringIO(spreadsheet_safe_csv(rows).decode("utf-8-sig"))))
    record = next(r["record"] for r in download if r["source_file"] == "formula_in_quarantined_row.csv")
    # the record's JSON text starts with "{"; the formula inside it is quoted text, never a cell
    assert record.startswith("{") and '=HYPERLINK(\\"http://evil.example\\",\\"x\\")' in record
    accounts = status.quarantined_rows(con)  # and a cell that is itself a formula is defused
    owner = accounts.assign(record='=HYPERLINK("http://evil.example","x")')
    assert spreadsheet_safe_csv(owner).decode("utf-8-sig").count("'=HYPERLINK") == len(owner)


def test_a_50_mb_export_loads_every_row(db, tmp_path, reader):
    header = (WORLD / "salesforce_opportunities.csv").read_text().splitlines()[0]
    row = ('"Sam Seller","Acme Corp","0015g00000ACME01AAA","Bulk deal","0065g{n:014d}","Closed Won",'
           '"USD 1,000.00","100","1/5/2025","2/1/2025","Web","New Business",""\n')
    rows = LARGE_FILE_BYTES // len(row.format(n=0))
    big = tmp_path / "big_opportunities.csv"
    with open(big, "w", encoding="utf-8") as fh:
        fh.write(header + "\n")
        for n in range(rows):
            fh.write(row.format(n=n))
    assert big.stat().st_size >= LARGE_FILE_BYTES * 0.99
    result = ingest([big], db=db, data_docs=False)[0]
    assert (result.rows_in, result.inserted, result.quarantined) == (rows, rows, 0)
    assert reader(db).execute("SELECT count(*) FROM fct_opportunity").fetchone() == (rows + 7,)


def test_quoted_line_breaks_and_doubled_quotes_are_kept_in_the_cell(db, reader):
    ingest([CORPUS / "quoted_line_breaks.csv"], db=db, data_docs=False)
    comments = dict(reader(db).execute(
        "SELECT response_id, comment FROM fct_survey_response WHERE response_id LIKE 'ql%'").fetchall())
    assert comments["ql001"] == 'Great team.\nThey said "done" and it was done.\n\nWould hire again'
    assert comments["ql002"].replace("\r\n", "\n") == 'Late, again:\n- go-live slipped\n- "quick fix" took 3 weeks'
    assert comments["ql003"] == "plain"


def test_a_report_footer_is_counted_as_skipped_not_as_a_record(db, reader):
    [result] = ingest([CORPUS / "grand_totals_footer.csv"], db=db, data_docs=False)
    assert (result.rows_in, result.inserted, result.quarantined, result.footer_rows) == (3, 3, 0, 5)
    assert "skipped: report footer (5 lines)" in result.summary()
    assert reader(db).execute("SELECT rows_in, rows_footer FROM load_log WHERE file_name = 'grand_totals_footer.csv'").fetchone() == (3, 5)


def test_identical_repeated_rows_keep_one_and_count_as_duplicates(db, reader):
    [result] = ingest([CORPUS / "repeated_rows.csv"], db=db, data_docs=False)
    assert result.duplicates == {3: 1} and result.reconciles()
    assert (result.rows_in, result.inserted, result.quarantined) == (5, 2, 2)
    assert "row 3 duplicate of row 1" in result.summary()
    con = reader(db)
    assert con.execute("SELECT score FROM fct_survey_response WHERE response_id = '7101'").fetchall() == [(9,)]
    assert con.execute("SELECT rows_duplicate FROM load_log WHERE file_name = 'repeated_rows.csv'").fetchone() == (1,)


def test_european_amounts_are_told_from_the_values(db, reader):
    ingest([CORPUS / "european_amounts.csv"], db=db, data_docs=False)
    amounts = dict(reader(db).execute(
        "SELECT opportunity_id, amount FROM fct_opportunity WHERE opportunity_id IN ('501', '502', '503')").fetchall())
    assert amounts == {"501": Decimal("120000.00"), "502": Decimal("1500.00"), "503": Decimal("99.50")}


def test_a_project_that_billed_nothing_loads_with_a_warning(db, reader):
    ingest([CORPUS / "zero_revenue.csv"], db=db, data_docs=False)
    assert reader(db).execute(
        """SELECT reason FROM (SELECT column_name AS reason, unexpected_count FROM validation_result
        WHERE source_file = 'zero_revenue.csv' AND action = 'warning' AND NOT success)""").fetchall() == [("revenue",)]
