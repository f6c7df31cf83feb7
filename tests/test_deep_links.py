"""A link straight at a page, as the first request a new server gets, runs through app.py.

Streamlit runs a page file alone (its old pages/-folder mode) until some run has called
``st.navigation``: before ui/auth.py sent such a request through app.py, /rebusiness opened
without app.py's menu and shared filters, under a menu of the pages/ file names ("app",
"data", "rebusiness"...). Each case starts its own server, so its request is the first.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.test_browser import RENDER_MS, browser, expect_script_done, menu_links, registered_pages, streamlit_server  # noqa: F401

FIRST_REQUESTS = [(title, path) for title, path in registered_pages() if path in ("rebusiness", "data")]


@pytest.mark.parametrize("title,path", FIRST_REQUESTS)
def test_a_link_straight_at_a_page_on_a_new_server_opens_it_through_app_py(browser, world_db, tmp_path, title, path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        with streamlit_server(world_db, demo=False, log=tmp_path / "streamlit.log") as url:
            page.goto(f"{url}/{path}")
            expect_script_done(page)
            expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_have_text(title, timeout=RENDER_MS)
            # app.py's own menu, one link a page, and none of Streamlit's file-name menu
            expect(menu_links(page)).to_have_count(len(registered_pages()), timeout=RENDER_MS)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        context.close()
