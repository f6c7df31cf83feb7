"""Health kept per build (issue 14): each build's snapshot of every account's health, who turned at
risk since the previous build, one account's health over builds; kept through a kill -9 and
scoped for a team lead.

By hand, on the fixture world as of its data date 30 Jun 2026 (tests/test_metrics.py): Acme scores
satisfaction 100 (R2), no trend (no answer in the last 6 months: left out), escalations 75 (ESC-3
open), margin 100, engagement 100: (30 + 15 + 20 + 15) / 0.85 = 80 / 0.85, not at risk; Beta and
Gamma are at risk (no contact for over 120 days). The next load brings three critical escalations
for Acme opened 20 Jun 2026 (the data date stays): 4 open and 3 in the last 90 days ->
100 - 100 - 30 -> 0, so Acme turns at risk at (30 + 0 + 20 + 15) / 0.85 = 65 / 0.85.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipelines import access, metrics, warehouse
from pipelines.ingest import ingest
from tests.conftest import ROOT
from tests.test_pages import open_page

ACME = "0015g00000ACME01AAA"
ALEX = {ACME, "0015g00000BETA01AAA"}  # Alex Owner's accounts; Gamma is Bo Owner's
ESCALATIONS_HEADER = ("Summary,Issue key,Issue id,Issue Type,Status,Priority,Resolution,Assignee,Reporter,Created,"
                      "Updated,Resolved,Custom field (Account ID),Custom field (Project ID),"
                      "Custom field (Sales Involved),Custom field (Escalation Category)")


def new_escalations(folder: Path) -> Path:
    """The next load: a Jira export of three open critical escalations for Acme, 20 Jun 2026."""
    path = folder / "jira_escalations_june.csv"
    rows = [f"Outage {n},ESC-{n},1000{n},Escalation,Open,Highest,,Dana Delivery,Acme PMO,20/Jun/26 9:00 AM,"
            f"20/Jun/26 9:00 AM,,{ACME},P-000002,No,Quality" for n in (4, 5, 6)]
    path.write_text("\n".join([ESCALATIONS_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def db(world_db, tmp_path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(world_db, target)
    return target


@pytest.fixture
def two_builds(db, tmp_path) -> Path:
    ingest([new_escalations(tmp_path)], db=db, data_docs=False)
    return db


def snapshot_rows(db: Path) -> list[tuple]:
    with warehouse.connect_readonly(db) as con:
        return con.execute("SELECT * FROM health_snapshot ORDER BY ALL").fetchall()


def test_a_build_keeps_every_accounts_health_for_both_measures(world_db, reader):
    con = reader(world_db)
    kept = con.execute("""SELECT s.measure, s.account_id, s.health, s.trend_score, s.at_risk, s.data_date,
                                 s.build_id = b.build_id
                          FROM health_snapshot AS s, build_info AS b ORDER BY 1, 2""").df()
    assert len(kept) == 2 * 3 and kept.iloc[:, -1].all() and set(kept["data_date"].dt.date) == {date(2026, 6, 30)}
    acme = kept[(kept["measure"] == "nps") & (kept["account_id"] == ACME)].iloc[0]
    assert acme["health"] == pytest.approx(80 / 0.85) and acme["trend_score"] != acme["trend_score"]  # NaN: left out
    assert kept.groupby("measure")["at_risk"].sum().to_dict() == {"csat": 2, "nps": 2}  # Beta and Gamma


def test_one_build_has_no_previous_build_to_compare(world_db, reader, monkeypatch):
    con = reader(world_db)
    assert len(metrics.health_builds(con)) == 1 and metrics.turned_at_risk_since_previous_build(con).empty
    at = open_page(monkeypatch, world_db, "pages/accounts.py", {"period": "All time"})
    assert not at.exception
    assert any(c.value.startswith("No previous build to compare: health is kept per build from the build of")
               for c in at.caption)


def test_the_accounts_that_turned_at_risk_since_the_previous_build(two_builds, reader):
    con = reader(two_builds)
    assert len(metrics.health_builds(con)) == 2
    turned = metrics.turned_at_risk_since_previous_build(con)
    assert turned["account_id"].tolist() == [ACME]  # Beta and Gamma were at risk already
    assert turned[["health_before", "health"]].iloc[0].tolist() == pytest.approx([80 / 0.85, 65 / 0.85])
    assert turned["at_risk_reasons"].tolist() == ["escalations 0/100"]
    assert metrics.turned_at_risk_since_previous_build(con, metrics.Filters(owners=("Bo Owner",))).empty


def test_an_accounts_health_over_builds_is_weighted_as_the_page_weighs_it(two_builds, reader):
    con = reader(two_builds)
    history = metrics.health_history(con, ACME)
    assert history["health"].tolist() == pytest.approx([80 / 0.85, 65 / 0.85])
    assert history["at_risk"].tolist() == [False, True]
    only_escalations = metrics.health_history(con, ACME, weights=(("escalations", 1.0),))
    assert only_escalations["health"].tolist() == [75, 0]


def test_the_page_lists_who_turned_at_risk_and_draws_health_at_each_build(two_builds, monkeypatch):
    at = open_page(monkeypatch, two_builds, "pages/accounts.py", {"period": "All time"})
    assert not at.exception
    turned = next(frame.value for frame in at.dataframe if "Health before" in frame.value.columns)
    assert turned["Account"].tolist() == ["Acme Corp"]
    # ESC-3 (Highest, opened 15 Mar 2025) is critical too
    assert turned["Evidence"].tolist() == [
        "4 open escalations (4 critical), oldest 472 days; 3 opened in the last 90 days"]
    at = open_page(monkeypatch, two_builds, "pages/accounts.py", {"period": "All time", "account": "Acme Corp"})
    assert not at.exception
    assert any(c.value.startswith("Each point is the health a build saw") for c in at.caption)


def test_kill_9_during_a_build_keeps_the_snapshots_and_the_next_build_adds_its_own(db, tmp_path):
    before = snapshot_rows(db)
    process = subprocess.Popen([sys.executable, "-u", "-m", "pipelines", "ingest", str(new_escalations(tmp_path)),
                                "--db", str(db)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if "building marts" in line:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert snapshot_rows(db) == before
    ingest([new_escalations(tmp_path)], db=db, data_docs=False)
    after = snapshot_rows(db)
    assert set(before) < set(after) and len(after) == 2 * len(before)


def test_a_team_lead_sees_only_their_accounts_snapshots(two_builds):
    alex = access.Access("alex@example.com", "team_lead", owners=("Alex Owner",))
    with access.connect_scoped(two_builds, alex) as con:
        assert {row[0] for row in con.execute("SELECT DISTINCT account_id FROM health_snapshot").fetchall()} == ALEX
        assert len(metrics.health_builds(con)) == 2
