"""The command line as a user types it: python -m pipelines demo | ingest | status | metrics | formats."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, WORLD

METRIC_KEYS = {
    "nps", "csat_pct", "responses", "rebusiness_rate", "rebusiness_margin", "delivered_margin",
    "won_amount", "delivery_leads", "escalations", "data_date", "rebusiness_12m_by_nps_category",
}


def cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env
    )


def test_demo_then_ingest_then_metrics(tmp_path):
    db = tmp_path / "demo.duckdb"
    done = cli("demo", "--out", tmp_path / "exports", "--scale", "0.2", "--seed", "3", "--ingest", "--db", db)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "exports").glob("*.csv"))) == 7
    assert "loaded 7 file(s)" in done.stdout
    metrics = json.loads(cli("metrics", "--db", db, "--json").stdout)
    assert set(metrics) == METRIC_KEYS
    assert set(metrics["delivery_leads"]) == {"count", "won", "win_rate", "net_sales", "margin"}
    assert set(metrics["escalations"]) == {"count", "with_sales_involved", "median_hours_to_resolve"}
    assert -100 <= metrics["nps"] <= 100 and 0 <= metrics["rebusiness_rate"] <= 1


def test_ingest_status_and_metrics_on_the_fixture_world(tmp_path):
    db = tmp_path / "w.duckdb"
    done = cli("ingest", WORLD, "--db", db)
    assert done.returncode == 0, done.stderr
    assert "8 rows = 7 new + 0 updated + 0 unchanged + 1 quarantined" in done.stdout
    status = json.loads(cli("status", "--db", db, "--json").stdout)
    assert status["tables"]["fct_opportunity"] == 7
    assert len(status["files"]) == 7 and all(len(f["file_sha256"]) == 64 for f in status["files"])
    assert {"table_name": "fct_survey_response", "reason": "no matching account", "rows": 1} in status["quarantine"]
    assert status["data_date"] == "2026-06-30"
    text = cli("status", "--db", db).stdout
    assert "quarantine by reason" in text and "salesforce_opportunities.csv" in text
    q1 = json.loads(cli("metrics", "--db", db, "--json", "--from", "2025-01-01", "--to", "2025-03-31").stdout)
    assert q1["won_amount"] == 200_000


def test_rejected_file_exits_non_zero_with_a_clear_message(tmp_path):
    bad = tmp_path / "deals.csv"
    bad.write_text("Deal,Money\n1,2\n")
    db = tmp_path / "w.duckdb"
    done = cli("ingest", bad, "--db", db)
    assert done.returncode == 2
    assert "deals.csv: unknown layout" in done.stderr and "Nothing was loaded" in done.stderr
    assert not db.exists()


def test_the_db_variable_points_the_cli_elsewhere(tmp_path):
    import os

    db = tmp_path / "elsewhere.duckdb"
    env = {**os.environ, "WINWIN_DB": str(db)}
    assert cli("ingest", WORLD / "salesforce_accounts.csv", env=env).returncode == 0
    assert db.exists()


def test_metrics_without_a_warehouse_says_how_to_load(tmp_path):
    done = cli("metrics", "--db", tmp_path / "none.duckdb")
    assert done.returncode == 2 and "python -m pipelines ingest" in done.stderr


def test_formats_lists_every_layout_with_required_columns():
    out = cli("formats").stdout
    for name in ("salesforce_opportunities", "qualtrics_nps", "surveymonkey_csat", "jira_escalations", "kantata_projects"):
        assert name in out
    assert "required: ResponseId, RecordedDate, Q1" in out
