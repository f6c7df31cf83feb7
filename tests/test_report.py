"""The board pack: `python -m pipelines report` writes a PDF of the Overview's KPIs and key charts
with the filters and data date on every page.

Built once, in process (the CLI's own entry point), on the hand-computed fixture world for
2025; the figures expected are those of tests/test_metrics.py, formatted as the Overview does.
"""

from __future__ import annotations

import pypdf
import pytest

from pipelines.__main__ import main
from tests.conftest import ROOT
from tests.test_structure import imported_modules

# The fixture world's latest dated event (tests/fixtures/world: a survey answer of 30 Jun 2026).
STAMP = "Win-Win board pack · 01 Jan 2025 – 31 Dec 2025 · data up to 30 Jun 2026"
PAGES = [
    "Overview: headline KPIs",
    "Does satisfaction bring the next deal?",
    "Monthly trend",
    "Satisfaction → Profit: the win-win matrix",
    "Delivery-generated leads",
    "Escalations: what followed",
    "Re-business & margin",
    "Accounts: lowest health",
]


@pytest.fixture(scope="module")
def pack(world_db, tmp_path_factory) -> list[str]:
    """The text of each page of the 2025 board pack of the fixture world."""
    out = tmp_path_factory.mktemp("pack") / "board-pack.pdf"
    assert main(["report", "--db", str(world_db), "--from", "2025-01-01", "--to", "2025-12-31", "--out", str(out)]) == 0
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(out).pages]  # table cells wrap


def test_the_pack_has_one_page_per_section_in_order(pack):
    assert [next(title for title in PAGES if title in text) for text in pack] == PAGES


def test_every_page_carries_the_filters_the_data_date_and_its_number(pack):
    assert all(STAMP in text and f"page {n} of {len(pack)}" in text for n, text in enumerate(pack, start=1))


@pytest.mark.parametrize(
    "line",
    [
        "Won amount USD 290.0k",  # 100k + 50k + 80k + 20k + 40k won in 2025
        "Re-business rate 31.0%",  # (50k + 40k) re-business / 290k
        "Re-business margin 46.0%",  # P2: (50k - 27k) / 50k
        "NPS 17",  # 3 promoters - 2 detractors of 6 answers = 16.7
    ],
)
def test_the_first_page_shows_the_hand_computed_kpis(pack, line):
    assert line in pack[0]


def test_the_first_page_names_the_previous_period_it_compares_against(pack):
    assert "previous period: 01 Jan 2024 – 31 Dec 2024" in pack[0]


def test_a_pack_for_a_missing_warehouse_exits_2_naming_it(tmp_path, capsys):
    assert main(["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "none.duckdb: no warehouse yet" in capsys.readouterr().err


def test_the_charts_the_pack_draws_import_no_streamlit():
    """The pack draws with reporting/charts.py, so that module must stay plotly-only."""
    assert "streamlit" not in imported_modules(ROOT / "pipelines" / "reporting" / "charts.py")


# --- Hostile values (issue 17): an export's text is data, never markup the printer runs ---------

HOSTILE_OWNER = "Zed</style><iframe src=file:///etc/passwd></iframe><style>"
SECRET = "root:x:0:0"  # the first line of /etc/passwd on every Linux


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    """The fixture world whose account owner 'Bo Owner' is an HTML payload, as a CRM may hold it."""
    import shutil

    from pipelines.ingest import ingest
    from tests.conftest import WORLD

    folder = tmp_path_factory.mktemp("hostile")
    shutil.copytree(WORLD, folder / "world")
    accounts = folder / "world" / "salesforce_accounts.csv"
    accounts.write_text(
        accounts.read_text(encoding="utf-8").replace('"Bo Owner"', f'"{HOSTILE_OWNER}"'), encoding="utf-8"
    )
    ingest([folder / "world"], db=folder / "warehouse.duckdb")
    return folder / "warehouse.duckdb"


def test_a_hostile_owner_filter_cannot_leave_the_packs_style_sheet(hostile_db):
    from pipelines import metrics, warehouse
    from pipelines.reporting import board_pack

    con = warehouse.connect_readonly(hostile_db)
    try:
        html = board_pack.board_pack_html(con, metrics.Filters(owners=(HOSTILE_OWNER,)))
    finally:
        con.close()
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "Zed" in style and "<" not in style and "<iframe" not in html


def test_a_hostile_owner_filter_prints_no_file_of_the_server_into_the_pack(hostile_db, tmp_path):
    out = tmp_path / "pack.pdf"
    assert main(["report", "--db", str(hostile_db), "--owner", HOSTILE_OWNER, "--out", str(out)]) == 0
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(out).pages)
    assert "Zed" in text and SECRET not in text


def test_the_printer_runs_no_script_and_opens_no_file_even_in_markup_that_slipped_through():
    """Defence in depth: were a value ever printed unescaped, chromium runs with scripts off and
    the page's policy refuses frames, so neither runs nor reads anything."""
    from pipelines.reporting import board_pack

    html = (
        f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="{board_pack.PAGE_POLICY}">'
        "</head><body><p>visible</p><script>document.write('SCRIPT-RAN')</script>"
        "<iframe src='file:///etc/passwd'></iframe><img src='http://127.0.0.1:9/x.png'></body></html>"
    )
    text = " ".join(
        page.extract_text() for page in pypdf.PdfReader(__import__("io").BytesIO(board_pack.print_pdf(html))).pages
    )
    assert "visible" in text and "SCRIPT-RAN" not in text and SECRET not in text


def test_the_first_page_opens_with_the_chain_in_words(pack):
    """The same sentences the Overview opens with: one per link, each with its verdict."""
    assert "Delivery -> satisfaction:" in pack[0]
    assert "Satisfaction -> re-business:" in pack[0]
    assert "Re-business -> margin:" in pack[0]
