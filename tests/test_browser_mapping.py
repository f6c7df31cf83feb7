"""End to end in chromium (issue 13): an export of a tool no layout knows is mapped on the Data
page, saved as a layout, loaded; the next export of that tool loads without the mapping step.

The files are tests/fixtures/mapping_step's Copper CRM deals exports (the firm's own column names
under a title line); the warehouse is a copy of the fixture world, whose accounts the export names.
The server, browser and waits are tests/test_browser.py's.
"""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pipelines import warehouse
from tests.test_browser import RENDER_MS, browser, expect_script_done, page_path, streamlit_server  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures" / "mapping_step"
MAY, JUNE = FIXTURES / "copper_deals_2025-05.csv", FIXTURES / "copper_deals_2025-06.csv"


@pytest.fixture
def copper(world_db, tmp_path, monkeypatch):
    """A server on a copy of the fixture world, saving layouts in a folder of the test's own."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(world_db, db)
    monkeypatch.setenv("WINWIN_LAYOUTS", str(tmp_path / "layouts"))  # the server inherits the environment
    with streamlit_server(db, demo=False, log=tmp_path / "streamlit.log") as url:
        yield url, db, tmp_path / "layouts"


@pytest.fixture
def wide_page(browser) -> Page:  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 2400})
    yield context.new_page()
    context.close()


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stMain").get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    expect_script_done(page)


def test_an_unknown_export_is_mapped_saved_and_loaded_and_next_months_export_loads_without_the_step(
        copper, wide_page, tmp_path):
    url, db, layouts = copper
    page = wide_page
    page.goto(f"{url}/{page_path('data')}")
    expect_script_done(page)
    page.get_by_text("Load exports").click()
    page.locator("input[type=file]").set_input_files(str(MAY))
    expect(page.get_by_text("is not an export Win-Win knows")).to_be_visible(timeout=RENDER_MS)
    expect(page.get_by_text("The column names are on line 2.")).to_be_visible()
    # the assistant's guesses, prefilled; the key it could not find is blank and said so
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("combobox", name="What the file holds")).to_have_value("Deals (CRM)")
    expect(main.get_by_role("combobox", name="Amount", exact=True)).to_have_value("Value")
    expect(page.get_by_text("Still to decide: Deal")).to_be_visible()
    choose(page, "Deal (needed)", "Deal Ref")
    choose(page, "Sales rep", "Assignee")
    expect(page.get_by_text("Still to decide")).to_have_count(0, timeout=RENDER_MS)
    # the first rows as they will load, with their verdicts
    checked = "6 rows, checked as the load will check them: 5 load, 1 would be quarantined"
    expect(page.get_by_text(checked)).to_be_visible(timeout=RENDER_MS)
    name = page.get_by_role("textbox", name="Layout name")
    name.fill("Copper deals")
    name.press("Enter")
    expect_script_done(page)
    page.screenshot(path=screenshots(tmp_path) / "mapping-step-1440.png", full_page=True)
    page.get_by_role("button", name="Save layout").click()
    expect(page.get_by_text("The next export of this tool is recognised and loads directly")).to_be_visible(
        timeout=RENDER_MS)
    assert 'opportunity_id: {from: "Deal Ref"}' in (layouts / "copper_deals.yaml").read_text()
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.get_by_text("1 of 6 rows quarantined, not loaded; 5 loaded")).to_be_visible(timeout=RENDER_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    with warehouse.connect_readonly(db) as con:
        assert con.execute("""SELECT opportunity_id, account_id, owner, amount, is_won FROM fct_opportunity
                              WHERE opportunity_id LIKE 'CU-%' ORDER BY 1""").fetchall() == [
            ("CU-101", "0015g00000ACME01AAA", "Sam Seller", Decimal("42000.00"), True),
            ("CU-102", "0015g00000BETA01AAA", "Rita Rep", Decimal("18500.00"), False),
            ("CU-103", "0015g00000GAMM01AAA", "Sam Seller", Decimal("9900.00"), True),
            ("CU-105", "0015g00000BETA01AAA", "Rita Rep", Decimal("27250.50"), True),
            ("CU-106", "0015g00000GAMM01AAA", "Rita Rep", Decimal("61000.00"), False),
        ]
    # June's export of the same tool: recognised by the saved layout, loaded with one button
    page.locator("input[type=file]").set_input_files(str(JUNE))
    expect(page.get_by_text("copper_deals_2025-06.csv: recognised as Copper deals")).to_be_visible(timeout=RENDER_MS)
    expect(page.get_by_text("Map copper_deals_2025-06.csv")).to_have_count(0)
    page.get_by_role("button", name="Load 2 file(s)").click()  # May's again (skipped: same bytes) and June's
    expect(page.get_by_text("all 3 rows loaded as copper_deals (2 new, 0 updated, 1 unchanged)")).to_be_visible(
        timeout=RENDER_MS)
    skipped = "copper_deals_2025-05.csv: already loaded (the same file read the same way)"
    expect(page.get_by_text(skipped)).to_be_visible()
    with warehouse.connect_readonly(db) as con:  # May's five (158,650.50) + CU-104 50,000.00 + CU-107 7,800.00
        assert con.execute("""SELECT count(*), sum(amount) FROM fct_opportunity
                              WHERE opportunity_id LIKE 'CU-%'""").fetchone() == (7, Decimal("216450.50"))


def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WINWIN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
