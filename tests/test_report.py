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
PAGES = ["Overview: headline KPIs", "Does satisfaction bring the next deal?", "Monthly trend",
         "Satisfaction → Profit: the win-win matrix", "Delivery-generated leads", "Escalations: what followed",
         "Re-business & margin", "Accounts: lowest health"]


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


@pytest.mark.parametrize("line", [
    "Won amount 290.0k",        # 100k + 50k + 80k + 20k + 40k won in 2025
    "Re-business rate 31.0%",   # (50k + 40k) re-business / 290k
    "Re-business margin 46.0%",  # P2: (50k - 27k) / 50k
    "NPS 17",                   # 3 promoters - 2 detractors of 6 answers = 16.7
])
def test_the_first_page_shows_the_hand_computed_kpis(pack, line):
    assert line in pack[0]


def test_the_first_page_names_the_previous_period_it_compares_against(pack):
    assert "previous period: 01 Jan 2024 – 31 Dec 2024" in pack[0]


def test_a_pack_for_a_missing_warehouse_exits_2_naming_it(tmp_path, capsys):
    assert main(["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "none.duckdb: no warehouse yet" in capsys.readouterr().err


def test_the_charts_the_pack_draws_import_no_streamlit():
    """pipelines/report.py draws with ui/charts.py, so that module must stay plotly-only."""
    assert "streamlit" not in imported_modules(ROOT / "ui" / "charts.py")
