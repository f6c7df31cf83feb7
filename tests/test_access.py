"""Login, roles and row-level access (issue 17): who sees which accounts, enforced in SQL.

The fixture world has three accounts: Acme Corp and Beta Ltd (owner Alex Owner) and Gamma GmbH
(owner Bo Owner). A team lead for Alex Owner must see the first two and nothing of Gamma, on
every table, in every metric, and through a real server and browser.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager

import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright
from streamlit import config

from benchmarks.cold_start import CHROMIUM, CHROMIUM_ARGS, answers_health, free_port, stop, streamlit_command
from pipelines import access, marts, metrics, warehouse
from tests.conftest import ROOT, run_app

ALEX = {"0015g00000ACME01AAA", "0015g00000BETA01AAA"}
GAMMA = "0015g00000GAMM01AAA"
ACCESS_YAML = """
default_role: none
users:
  boss@example.com: admin
  vic@example.com: viewer
  alex@example.com: {role: team_lead, owners: [Alex Owner]}
  mallory@example.com: {role: team_lead, owners: ["x') OR TRUE --"]}
"""


@pytest.fixture
def access_file(tmp_path, monkeypatch):
    path = tmp_path / "access.yaml"
    path.write_text(ACCESS_YAML, encoding="utf-8")
    monkeypatch.setenv("WINWIN_ACCESS", str(path))
    return path


def test_the_access_file_gives_each_user_their_role_and_refuses_the_unlisted(access_file):
    assert access.access_for("Boss@Example.com").role == "admin"
    alex = access.access_for("alex@example.com")
    assert (alex.role, alex.owners, alex.scoped) == ("team_lead", ("Alex Owner",), True)
    assert access.access_for("stranger@example.com") is None


def test_a_wrong_role_in_the_access_file_is_an_error_not_a_silent_viewer(access_file):
    access_file.write_text("users: {eve@example.com: superuser}", encoding="utf-8")
    with pytest.raises(access.AccessError, match=r"unknown role\(s\) \['superuser'\]"):
        access.access_for("eve@example.com")


@pytest.mark.parametrize("permission,roles", [
    ("export", {"team_lead", "analyst", "loader", "admin"}),
    ("data", {"analyst", "loader", "admin"}),
    ("load", {"loader", "admin"}),
])
def test_each_permission_belongs_to_its_roles(permission, roles):
    assert {role for role in access.ROLES if access.Access("u", role).can(permission)} == roles


def test_a_team_leads_connection_holds_only_their_accounts_rows_in_every_table(world_db):
    con = access.connect_scoped(world_db, access.Access("alex", "team_lead", owners=("Alex Owner",)))
    try:
        tables = [name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'warehouse' "
            "AND table_name <> 'allowed_account'").fetchall()]
        assert "fct_survey_response" in tables and "quarantine" in tables
        for table in tables:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_catalog = 'warehouse' AND table_name = ?",
                [table]).fetchall()]
            if "account_id" in columns:
                seen = {a for (a,) in con.execute(f'SELECT DISTINCT account_id FROM "{table}"').fetchall()}
                assert seen <= ALEX, table
            elif "escalation_id" in columns:  # what followed an escalation: Alex's escalations only
                kept = con.execute(f'SELECT count(*) FROM "{table}" WHERE escalation_id NOT IN '
                                   "(SELECT escalation_id FROM fct_escalation)").fetchone()[0]
                assert kept == 0 and con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] > 0, table
            elif table in marts.SUMMED_AFTER_REFRESH:  # totals summed again over Alex's accounts only
                with warehouse.connect_readonly(world_db) as full:
                    firm = full.execute(f'SELECT * FROM "{table}"').df()
                alex = con.execute(f'SELECT * FROM "{table}"').df()
                assert 0 < len(alex) and not alex.equals(firm), table
            elif table not in access.UNSCOPED_TABLES:
                assert con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == 0, table
    finally:
        con.close()


def test_a_team_leads_kpis_equal_the_owner_filter_on_the_whole_warehouse(world_db):
    """The scope is the owner filter, applied by the connection instead of by the page."""
    period = metrics.Period(None, None)
    with warehouse.connect_readonly(world_db) as full:
        expected = metrics.kpis(full, metrics.Filters(period=period, owners=("Alex Owner",)))
    scoped = access.connect_scoped(world_db, access.Access("alex", "team_lead", owners=("Alex Owner",)))
    try:
        assert metrics.kpis(scoped, period) == expected
        with warehouse.connect_readonly(world_db) as full:
            assert metrics.kpis(scoped, period)["won_amount"] < metrics.kpis(full, period)["won_amount"]
    finally:
        scoped.close()


# Marts without an account column that no page of a scoped reader reads: the loaded files' dates
# (the Data page, which a team lead may not open).
NOT_READ_BY_TEAM_LEADS = {"mart_latest_event"}


def test_every_mart_says_how_a_team_lead_reads_it(world_db):
    """A mart without an account column is empty on a scoped connection unless access knows how
    to scope it: a page would show a team lead no data, or a 0 (the escalation aftermath did)."""
    with warehouse.connect_readonly(world_db) as con:
        columns = dict(con.execute("SELECT table_name, list(column_name) FROM information_schema.columns "
                                   "WHERE table_name LIKE 'mart_%' GROUP BY table_name").fetchall())
    assert set(columns) == set(marts.MART_ORDER)
    unscoped = {name for name, cols in columns.items()
                if "account_id" not in cols and not set(cols) & set(access.KEYED_BY_RECORD)}
    assert unscoped <= access.UNSCOPED_TABLES | set(marts.SUMMED_AFTER_REFRESH) | NOT_READ_BY_TEAM_LEADS


def test_a_team_leads_escalation_aftermath_equals_the_owner_filter(world_db):
    """What followed an escalation is kept per escalation (no account column): a team lead's
    re-business after escalations is their own, never 0 for want of rows."""
    period = metrics.Period(None, None)
    with warehouse.connect_readonly(world_db) as full:
        expected = metrics.escalation_aftermath(full, metrics.Filters(period=period, owners=("Alex Owner",)))
    scoped = access.connect_scoped(world_db, access.Access("alex", "team_lead", owners=("Alex Owner",)))
    try:
        found = metrics.escalation_aftermath(scoped, period)
    finally:
        scoped.close()
    assert expected["rebought"].sum() > 0
    pd.testing.assert_frame_equal(found, expected)


@pytest.mark.parametrize("measure", ["nps", "csat"])
def test_a_team_leads_delivery_to_satisfaction_equals_the_owner_filter(world_db, measure):
    """The Overview's delivery chart reads totals over every account for a sidebar period with no
    filter (mart_delivery_histogram): a team lead's are summed again over their own accounts."""
    with warehouse.connect_readonly(world_db) as full:
        period = metrics.period_of("Last 12 months", metrics.data_date(full))
        expected = metrics.delivery_to_satisfaction(full, metrics.Filters(period=period, owners=("Alex Owner",)), measure)
    scoped = access.connect_scoped(world_db, access.Access("alex", "team_lead", owners=("Alex Owner",)))
    try:
        found = metrics.delivery_to_satisfaction(scoped, period, measure)
    finally:
        scoped.close()
    assert expected["n"].sum() > 0
    pd.testing.assert_frame_equal(found, expected)


def test_an_owner_name_written_as_sql_is_a_value_not_code(world_db):
    con = access.connect_scoped(world_db, access.Access("m", "team_lead", owners=("x') OR TRUE --",)))
    try:
        assert con.execute("SELECT count(*) FROM dim_account").fetchone()[0] == 0
    finally:
        con.close()


@pytest.fixture
def bound_to_all_interfaces():
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


def test_a_server_bound_beyond_this_machine_without_login_shows_no_data(monkeypatch, world_db, bound_to_all_interfaces):
    at = run_app(monkeypatch, world_db)
    assert not at.exception
    assert not at.metric, "no KPI may be drawn for an anonymous visitor"
    assert "no login is configured, so it shows no data" in at.warning[0].value


def test_this_machine_only_is_the_default_and_its_user_is_the_admin(monkeypatch, world_db):
    assert config.get_option("server.address") == "127.0.0.1"  # .streamlit/config.toml
    at = run_app(monkeypatch, world_db)
    assert not at.exception and at.metric


# --- Through a real server and browser: identity from a trusted proxy header -----------------

USER_HEADER = "X-Winwin-User"


@contextmanager
def server_behind_a_proxy(db, access_path, log):
    """The app as a signing-in proxy would front it: the proxy's header names the user."""
    port = free_port()
    url = f"http://localhost:{port}"
    command = streamlit_command("app.py", port) + ["--server.trustedUserHeaders", f'{{"{USER_HEADER}": "email"}}']
    env = {**os.environ, "WINWIN_DB": str(db), "WINWIN_DEMO": "0", "WINWIN_ACCESS": str(access_path)}
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            if answers_health(url):
                break
            if server.poll() is not None:
                pytest.fail(log.read_text())
            subprocess.run(["sleep", "0.2"])
        yield url
    finally:
        stop(server)


@pytest.fixture(scope="module")
def proxied(world_db, tmp_path_factory):
    if not CHROMIUM.exists():
        if os.environ.get("WINWIN_BROWSER_TESTS") == "required":
            pytest.fail(f"no {CHROMIUM} (WINWIN_BROWSER_TESTS=required)")
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium")
    folder = tmp_path_factory.mktemp("proxied")
    (folder / "access.yaml").write_text(ACCESS_YAML, encoding="utf-8")
    with server_behind_a_proxy(world_db, folder / "access.yaml", folder / "streamlit.log") as url, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield url, browser
        browser.close()


def visit(proxied, path: str, user: str | None):
    url, browser = proxied
    context = browser.new_context(viewport={"width": 1440, "height": 2000},
                                  extra_http_headers={USER_HEADER: user} if user else {})
    page = context.new_page()
    page.goto(url + path)
    return context, page


def test_a_team_lead_signed_in_by_the_proxy_sees_only_their_accounts(proxied):
    context, page = visit(proxied, "/accounts?period=all", "alex@example.com")
    try:
        expect(page.get_by_text("Acme Corp").first).to_be_attached(timeout=60_000)  # a grid cell
        expect(page.get_by_text("Beta Ltd").first).to_be_attached()
        assert page.get_by_text("Gamma GmbH").count() == 0
    finally:
        context.close()


def test_a_team_lead_cannot_open_the_data_page_of_every_accounts_records(proxied):
    context, page = visit(proxied, "/data", "alex@example.com")
    try:
        # The page is registered for every role (so its URL says why it is refused), linked only for
        # the roles that may see it: the page itself refuses.
        expect(page.get_by_text("does not include the Data page")).to_be_visible(timeout=60_000)
        assert page.get_by_test_id("stSidebar").get_by_role("link", name="Data").count() == 0
        assert page.get_by_text("Files loaded", exact=True).count() == 0
        assert page.get_by_text("Quarantine", exact=True).count() == 0
    finally:
        context.close()


def test_a_visitor_the_proxy_did_not_name_sees_no_data(proxied):
    context, page = visit(proxied, "/", None)
    try:
        expect(page.get_by_text("did not say who you are")).to_be_visible(timeout=60_000)
        assert page.get_by_test_id("stMetric").count() == 0
    finally:
        context.close()


def test_a_signed_in_stranger_is_not_admitted(proxied):
    context, page = visit(proxied, "/", "stranger@example.com")
    try:
        expect(page.get_by_text("stranger@example.com is signed in but not admitted")).to_be_visible(timeout=60_000)
        assert page.get_by_test_id("stMetric").count() == 0
    finally:
        context.close()


def test_the_load_log_keeps_who_loaded_each_file(tmp_path):
    import getpass

    from pipelines import status
    from pipelines.ingest import ingest, ingest_uploads
    from tests.conftest import WORLD

    db = tmp_path / "w.duckdb"
    ingest([WORLD / "salesforce_accounts.csv"], db=db)  # the command line: the operating system's user
    ingest_uploads([("deals.csv", (WORLD / "salesforce_opportunities.csv").read_bytes())], db=db,
                   loaded_by="dana@example.com")  # the Data page: the signed-in user
    with warehouse.connect_readonly(db) as con:
        who = {f["file_name"]: f["loaded_by"] for f in status.report(con)["files"]}
    assert who == {"salesforce_accounts.csv": getpass.getuser(), "deals.csv": "dana@example.com"}
