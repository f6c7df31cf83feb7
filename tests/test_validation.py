"""Per-file validation: DuckDB picks the rows that may fail, GX judges them, and the figures
stored and shown in the Data Docs are the whole file's (five answers, counted by hand)."""

import duckdb
import pytest

from pipelines import validation

# response_id, account_id, survey_type, score: answer 2 is an NPS of 11, answer 4 has no account
# and no score; the other three are clean.
ANSWERS = """SELECT * FROM (VALUES
    (1, 'r1', 'a1', TIMESTAMP '2025-01-01 10:00', 'nps', 9),
    (2, 'r2', 'a1', TIMESTAMP '2025-01-02 10:00', 'nps', 11),
    (3, 'r3', 'a2', TIMESTAMP '2025-01-03 10:00', 'csat', 5),
    (4, 'r4', NULL, TIMESTAMP '2025-01-04 10:00', 'csat', NULL),
    (5, 'r5', 'a2', TIMESTAMP '2025-01-05 10:00', 'nps', 10)
) AS t(source_row, response_id, account_id, responded_at, survey_type, score)"""


@pytest.fixture(scope="module")
def outcome():
    con = duckdb.connect()
    con.execute(f"CREATE TABLE staged AS {ANSWERS}")
    return validation.validate(con, "staged", "fct_survey_response")


def test_only_the_failing_rows_are_quarantined_with_their_reasons(outcome):
    reasons = dict(zip(outcome.failed_rows["source_row"], outcome.failed_rows["reason"]))
    assert sorted(reasons) == [2, 4]
    assert reasons[2] == "nps score outside 0-10"
    assert set(reasons[4].split("; ")) == {"no matching account", "missing score"}


def test_the_figures_count_every_row_of_the_file_not_only_the_suspect_ones(outcome):
    by_check = {(r.expectation_config.type, r.expectation_config.kwargs.get("column"),
                 r.expectation_config.kwargs.get("max_value")): r.result for r in outcome.reports[0].results}
    missing_score = by_check[("expect_column_values_to_not_be_null", "score", None)]
    assert (missing_score["element_count"], missing_score["unexpected_count"]) == (5, 1)
    assert missing_score["unexpected_percent"] == pytest.approx(20.0)
    nps = by_check[("expect_column_values_to_be_between", "score", 10)]  # 3 NPS answers, one of 11
    assert (nps["element_count"], nps["missing_count"], nps["unexpected_count"]) == (3, 0, 1)
    assert nps["unexpected_percent"] == pytest.approx(100 / 3)
    csat = by_check[("expect_column_values_to_be_between", "score", 5)]  # 2 CSAT answers, one blank
    assert (csat["element_count"], csat["missing_count"], csat["unexpected_count"]) == (2, 1, 0)
    assert csat["missing_percent"] == pytest.approx(50.0)
    assert csat["unexpected_percent"] == pytest.approx(0.0)


def test_the_stored_results_equal_gx_run_over_every_row(outcome):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE staged AS {ANSWERS}")
    checks = validation.checks_for("fct_survey_response", [c for c, *_ in con.execute("DESCRIBE staged").fetchall()])
    whole = validation._run(checks, con.execute("SELECT * FROM staged").df(), "whole")
    assert whole.failed_rows.equals(outcome.failed_rows)
    def in_order(results):
        return results.sort_values(list(results.columns), ignore_index=True)

    assert in_order(whole.results).equals(in_order(outcome.results))
    counted = ("element_count", "missing_count", "unexpected_count", "unexpected_percent", "missing_percent")
    def by_check(report):
        return sorted(report.results, key=lambda r: r.expectation_config.meta["check"])

    for ours, theirs in zip(by_check(outcome.reports[0]), by_check(whole.reports[0]), strict=True):
        assert {k: ours.result.get(k) for k in counted} == pytest.approx({k: theirs.result.get(k) for k in counted})


def test_a_check_on_a_share_of_the_rows_or_a_strict_bound_hands_gx_every_row():
    """DuckDB's pre-selection holds only for checks every failing row fails on its own: a check
    that passes when `mostly` of the rows do, or fails a value equal to its bound, gets them all."""
    import great_expectations.expectations as E

    plain = E.ExpectColumnValuesToBeBetween(column="score", min_value=0)
    assert validation._may_fail(plain, "staged") == ("(score < ?)", [0])
    for kwargs in ({"mostly": 0.9}, {"strict_min": True}, {"strict_max": True, "max_value": 10}):
        check = E.ExpectColumnValuesToBeBetween(column="score", min_value=0, **kwargs)
        assert validation._may_fail(check, "staged") == ("TRUE", [])
