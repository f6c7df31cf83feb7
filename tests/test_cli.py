"""The command line as a user types it: python -m pipelines demo | ingest | status | metrics | formats."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, WORLD

METRIC_KEYS = {
    "nps", "csat_pct", "responses", "rebusiness_rate", "rebusiness_margin", "delivered_margin",
    "won_amount", "delivery_leads", "escalations", "data_date", "rebusiness_12m_by_nps_category",
    "rebusiness_12m_by_csat_band", "delivery_to_satisfaction", "period",
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
    assert set(metrics["rebusiness_12m_by_csat_band"]) == {"satisfied (4-5)", "neutral (3)", "dissatisfied (1-2)"}
    for measure in ("nps", "csat"):
        link = metrics["delivery_to_satisfaction"][measure]
        assert set(link) == {"late_or_over_budget", "on_time_on_budget"}
        assert set(link["on_time_on_budget"]) == {"n", "mean_score", "ci_low", "ci_high", "low_share"}
    assert metrics["period"] == {"from": None, "to": None}


def test_ingest_status_and_metrics_on_the_fixture_world(tmp_path):
    db = tmp_path / "w.duckdb"
    done = cli("ingest", WORLD, "--db", db)
    assert done.returncode == 0, done.stderr
    assert "8 rows = 7 new + 0 updated + 0 unchanged + 1 quarantined" in done.stdout
    status = json.loads(cli("status", "--db", db, "--json").stdout)
    assert status["tables"]["fct_opportunity"] == 7
    assert len(status["files"]) == 7 and all(len(f["file_sha256"]) == 64 for f in status["files"])
    assert {"table_name": "fct_survey_response", "reason": "no matching account", "rows": 1} in status["quarantine"]
    # Most rows first, ties by table and reason: the same warehouse always prints the same report.
    by_rows = [(-q["rows"], q["table_name"], q["reason"]) for q in status["quarantine"]]
    assert by_rows == sorted(by_rows) and len(by_rows) > 1
    assert status["data_date"] == "2026-06-30"
    text = cli("status", "--db", db).stdout
    assert "quarantine by reason" in text and "salesforce_opportunities.csv" in text
    q1 = json.loads(cli("metrics", "--db", db, "--json", "--from", "2025-01-01", "--to", "2025-03-31").stdout)
    assert q1["won_amount"] == 200_000
    assert q1["period"] == {"from": "2025-01-01", "to": "2025-03-31"}


def test_metrics_takes_the_apps_periods_up_to_the_data_date(tmp_path):
    db = tmp_path / "w.duckdb"
    assert cli("ingest", WORLD, "--db", db).returncode == 0
    # data date 30 Jun 2026: the last 3 months are April to June; Q2 2026 won nothing
    last_3 = json.loads(cli("metrics", "--db", db, "--json", "--period", "Last 3 months").stdout)
    assert last_3["period"] == {"from": "2026-04-01", "to": "2026-06-30"} and last_3["won_amount"] == 0
    # all time: P1, P3 late or over budget (10, 9, 6) against P2, P4 (9, 8, 10); see test_metrics
    every = json.loads(cli("metrics", "--db", db, "--json").stdout)
    assert every["delivery_to_satisfaction"]["nps"]["on_time_on_budget"]["mean_score"] == 9
    both = cli("metrics", "--db", db, "--period", "All time", "--from", "2025-01-01")
    assert both.returncode == 2 and "give one" in both.stderr


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
    assert "required: ResponseId, RecordedDate" in out  # and the NPS question, found by its text


def test_an_ingest_prints_no_warning_of_the_spark_library_it_does_not_use(tmp_path):
    # GX imports pyspark when it is installed (it is, for the Spark marts): pyspark then printed
    # "PySpark does not yet fully support pandas >= 3.0.0" twice in the middle of every ingest's output.
    done = cli("ingest", WORLD, "--db", tmp_path / "w.duckdb")
    assert done.returncode == 0, done.stderr
    assert "pyspark" not in (done.stdout + done.stderr).lower()
