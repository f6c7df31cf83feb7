"""The marts' own output: one row per key, and money that reconciles with the canonical tables
they are built from (on the hand-made world and on the demo world)."""

from __future__ import annotations

from datetime import timedelta

import pytest

# Mart -> its key columns and the canonical table that holds one row per key (None: no such table).
KEYS = {
    "mart_opportunity": (["opportunity_id"], "fct_opportunity"),
    "mart_project": (["project_id"], "fct_project"),
    "mart_escalation": (["escalation_id"], "fct_escalation"),
    "mart_response_outcome": (["response_id"], "fct_survey_response"),
    "mart_latest_event": (["table_name", "file_sha256"], None),
}


@pytest.fixture(params=["world_db", "demo_db"])
def con(request, reader):
    return reader(request.getfixturevalue(request.param))


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


@pytest.mark.parametrize("mart", KEYS)
def test_one_row_per_key(con, mart):
    keys, canonical = KEYS[mart]
    columns = ", ".join(keys)
    assert scalar(con, f"SELECT count(*) FROM (SELECT {columns} FROM {mart} GROUP BY {columns} HAVING count(*) > 1)") == 0
    if canonical:
        assert scalar(con, f"SELECT count(*) FROM {mart}") == scalar(con, f"SELECT count(*) FROM {canonical}")


def test_data_date_is_one_row(con):
    assert scalar(con, "SELECT count(*) FROM mart_data_date") == 1


def test_won_amount_reconciles_with_the_deals_loaded(con):
    assert scalar(con, "SELECT sum(amount) FROM mart_opportunity WHERE is_won") == \
        scalar(con, "SELECT sum(amount) FROM fct_opportunity WHERE is_won")


def test_project_money_reconciles_and_profit_is_revenue_less_cost(con):
    mart = con.execute("SELECT sum(revenue), sum(actual_cost), sum(profit) FROM mart_project WHERE actual_cost IS NOT NULL").fetchone()
    canonical = con.execute("SELECT sum(revenue), sum(actual_cost) FROM fct_project WHERE actual_cost IS NOT NULL").fetchone()
    assert mart[:2] == canonical
    assert mart[2] == canonical[0] - canonical[1]


def test_delivered_money_on_deals_reconciles_with_completed_projects(con):
    mart = con.execute("SELECT sum(delivered_revenue), sum(delivered_cost) FROM mart_opportunity").fetchone()
    canonical = con.execute(
        """SELECT sum(p.revenue), sum(p.actual_cost) FROM fct_project AS p
           WHERE p.actual_end_date IS NOT NULL AND p.opportunity_id IN (SELECT opportunity_id FROM fct_opportunity)""").fetchone()
    assert mart == canonical


def test_rebusiness_amount_followed_reconciles_with_the_deals(con):
    # each answer's 12-month re-business amount is the sum of its account's re-business deals in the window
    assert scalar(con, "SELECT sum(amount_12m) FROM mart_response_outcome") == scalar(
        con, """SELECT COALESCE(sum(o.amount), 0) FROM fct_survey_response AS r
                JOIN mart_opportunity AS o ON o.account_id = r.account_id AND o.is_rebusiness
                 AND o.close_date > CAST(r.responded_at AS DATE)
                 AND o.close_date <= CAST(r.responded_at AS DATE) + INTERVAL 12 MONTH""")


def test_every_answer_has_points_of_its_own_measure_only(con):
    assert scalar(con, """SELECT count(*) FROM mart_response_outcome
                          WHERE (survey_type = 'nps') <> (nps_points IS NOT NULL)
                             OR (survey_type = 'csat') <> (csat_points IS NOT NULL)""") == 0


def test_nps_points_give_the_hand_computed_nps(world_db, reader):
    # tests/test_metrics.py: promoters 3, detractors 2 of 6 NPS answers -> 100 / 6
    assert scalar(reader(world_db), "SELECT 100 * avg(nps_points) FROM mart_response_outcome") == pytest.approx(100 / 6)


def test_delivery_outcome_of_the_world_by_hand(world_db, reader):
    # P1 ended 10 days late and over budget (70k > 60k); P2 on time and under; P3 30 days late and
    # over; P4 early and under; P5 still running. ESC-1 and ESC-2 name P3, ESC-3 P1.
    frame = reader(world_db).execute(
        "SELECT project_id, delivery_outcome, escalations, is_delivery_lead FROM mart_project ORDER BY 1").fetchall()
    assert frame == [("P-000001", "late or over budget", 1, True), ("P-000002", "on time and on budget", 0, False),
                     ("P-000003", "late or over budget", 2, False), ("P-000004", "on time and on budget", 0, False),
                     ("P-000005", None, 0, False)]


def test_data_date_is_the_latest_client_event_or_project_completion(con):
    assert scalar(con, "SELECT data_date FROM mart_data_date") == scalar(
        con, """SELECT greatest(max(event_date), (SELECT max(actual_end_date) FROM fct_project))
                FROM mart_latest_event WHERE table_name <> 'fct_project'""")


# The marts precomputed for the pages' first views (issue 16): their grain, and figures equal to
# the live queries they stand in for.
PRECOMPUTED_KEYS = {
    "mart_account_facts": ["as_of", "account_id"],
    "mart_escalation_aftermath": ["escalation_id"],
    "mart_project_answer": ["project_id", "response_id"],
    "mart_delivery_answer": ["project_id", "response_id"],
}


@pytest.mark.parametrize("mart", PRECOMPUTED_KEYS)
def test_precomputed_marts_hold_one_row_per_key(con, mart):
    columns = ", ".join(PRECOMPUTED_KEYS[mart])
    assert scalar(con, f"SELECT count(*) FROM (SELECT {columns} FROM {mart} GROUP BY {columns} HAVING count(*) > 1)") == 0


def test_account_facts_hold_every_account_as_of_the_data_date_both_measures_in_one_row(con):
    from pipelines import metrics

    days = [row[0] for row in con.execute("SELECT DISTINCT as_of FROM mart_account_facts ORDER BY 1").fetchall()]
    assert days == [metrics.data_date(con)]
    assert scalar(con, "SELECT count(*) FROM mart_account_facts") == scalar(con, "SELECT count(*) FROM dim_account")


def test_escalation_aftermath_holds_every_escalation(con):
    assert scalar(con, "SELECT count(*) FROM mart_escalation_aftermath") == scalar(con, "SELECT count(*) FROM fct_escalation")


def test_project_answers_are_the_answers_within_the_followed_months(con):
    from pipelines.metrics.rebusiness import FOLLOWED_MONTHS

    live = scalar(con, f"""SELECT count(*) FROM mart_project AS p JOIN mart_response_outcome AS r
                           ON r.account_id = p.account_id AND r.answer_date > p.actual_end_date
                          AND r.answer_date <= p.actual_end_date + INTERVAL {FOLLOWED_MONTHS} MONTH
                          WHERE p.is_delivered""")
    assert scalar(con, "SELECT count(*) FROM mart_project_answer") == live


@pytest.mark.parametrize("measure", ["nps", "csat"])
def test_delivery_answers_are_the_pairs_the_delivery_link_joins(con, measure):
    """mart_delivery_answer holds exactly the (project, answer) pairs metrics.delivery joins live."""
    from pipelines import metrics

    live = metrics.project_answers(con, metrics.Period(), measure)
    held = con.execute("""SELECT delivery_outcome AS "group", project_id, response_id, linked_by FROM mart_delivery_answer
                          WHERE survey_type = ? ORDER BY 1, 2, 3""", [measure]).df()
    assert len(held) > 0
    assert held.values.tolist() == live.sort_values(["group", "project_id", "response_id"])[
        ["group", "project_id", "response_id", "linked_by"]].values.tolist()


@pytest.mark.parametrize("mart,window", [("mart_escalation_aftermath", "INTERVAL 12 MONTH"),
                                         ("mart_project_answer", "INTERVAL 6 MONTH"),
                                         ("mart_delivery_answer", "INTERVAL 6 MONTH"),
                                         ("mart_account_facts", "INTERVAL 90 DAY")])
def test_precomputed_windows_are_the_metrics_windows(mart, window):
    from pipelines import marts
    from pipelines.metrics.accounts import RECENT_ESCALATION_DAYS
    from pipelines.metrics.escalations import AFTERMATH_MONTHS
    from pipelines.metrics.delivery import AFTER_PROJECT_MONTHS
    from pipelines.metrics.rebusiness import FOLLOWED_MONTHS

    assert (AFTERMATH_MONTHS, FOLLOWED_MONTHS, RECENT_ESCALATION_DAYS, AFTER_PROJECT_MONTHS) == (12, 6, 90, 6)
    assert window in marts.sql_of(mart)


@pytest.mark.parametrize("measure", ["nps", "csat"])
@pytest.mark.parametrize("segments", [(), ("SMB",)])
@pytest.mark.parametrize("months_back", [0, 1, 7])
def test_account_facts_read_from_the_mart_equal_the_live_query(con, monkeypatch, measure, segments, months_back):
    import pandas as pd

    from pipelines import metrics
    from pipelines.metrics import accounts

    latest = metrics.data_date(con)
    day = metrics.add_months(latest.replace(day=1), 1 - months_back) - timedelta(days=1) if months_back else latest
    chosen = metrics.Filters(period=metrics.Period(None, day), segments=segments)
    precomputed = accounts.account_facts(con, chosen, measure)
    monkeypatch.setattr(accounts, "_precomputed", lambda _con, _day: False)  # the same day, computed live
    live = accounts.account_facts(con, chosen, measure)
    assert len(precomputed) == len(live)
    pd.testing.assert_frame_equal(precomputed.sort_values("account_id", ignore_index=True),
                                  live.sort_values("account_id", ignore_index=True), check_dtype=False, rtol=1e-12)


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    """A writable connection to a copy of the demo warehouse, for the tests that load into it."""
    import shutil

    import duckdb

    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_db, db)
    con = duckdb.connect(str(db))
    yield con
    con.close()


def _marts_differing_from_a_full_rebuild(con) -> dict[str, int]:
    """Per mart, the rows in which it and the same SQL run over the whole warehouse differ."""
    from pipelines import marts

    differing = {}
    for name in marts.MART_ORDER:
        sql = marts.sql_of(name)
        rows = scalar(con, f"""SELECT count(*) FROM ((SELECT * FROM {name} EXCEPT ALL SELECT * FROM ({sql}))
                                UNION ALL (SELECT * FROM ({sql}) EXCEPT ALL SELECT * FROM {name}))""")
        if rows:
            differing[name] = rows
    return differing


def test_new_and_changed_answers_refresh_the_marts_to_what_a_full_rebuild_gives(demo_copy):
    """A survey load refreshes only the touched accounts' rows (marts.refresh): afterwards every mart
    holds exactly what rebuilding it from the canonical tables gives."""
    from pipelines import marts

    con = demo_copy
    data_date = scalar(con, "SELECT data_date FROM mart_data_date")
    # 200 new answers, copies of answers of the warehouse's first 50 accounts under new ids and
    # dated a week earlier (the data date stays); one held answer moved to another account.
    con.execute("""CREATE TEMP TABLE new_answers AS
                   SELECT * REPLACE ('NEW-' || response_id AS response_id, responded_at - INTERVAL 7 DAY AS responded_at)
                   FROM fct_survey_response
                   WHERE account_id IN (SELECT account_id FROM dim_account ORDER BY account_id LIMIT 50)
                   ORDER BY response_id LIMIT 200""")
    moved, old_account = con.execute("SELECT response_id, account_id FROM fct_survey_response ORDER BY response_id DESC LIMIT 1").fetchone()
    new_account = scalar(con, f"SELECT max(account_id) FROM dim_account WHERE account_id <> '{old_account}'")
    marts.record_change(con, "fct_survey_response", "SELECT response_id, account_id FROM new_answers")
    marts.record_change(con, "fct_survey_response", "SELECT ?, ? UNION ALL SELECT ?, ?", [moved, old_account, moved, new_account])
    con.execute("INSERT INTO fct_survey_response SELECT * FROM new_answers")
    con.execute("UPDATE fct_survey_response SET account_id = ? WHERE response_id = ?", [new_account, moved])
    before = scalar(con, "SELECT count(*) FROM mart_response_outcome")

    assert marts.build(con) == "refreshed"
    assert scalar(con, "SELECT data_date FROM mart_data_date") == data_date
    assert scalar(con, "SELECT count(*) FROM mart_response_outcome") == before + 200
    assert _marts_differing_from_a_full_rebuild(con) == {}


def _histogram_added_up(monkeypatch) -> list[bool]:
    """What each marts._add_up_pairs of the test returned (True: the histogram was added up)."""
    from pipelines import marts

    returned, add_up = [], marts._add_up_pairs
    monkeypatch.setattr(marts, "_add_up_pairs", lambda *args: returned.append(add_up(*args)) or returned[-1])
    return returned


def test_new_answers_add_their_pairs_to_the_delivery_histogram_as_a_rebuild_counts_them(demo_copy, monkeypatch):
    """mart_delivery_histogram is not recounted over every pair: the new answers' pairs are counted
    alone over the mart's period starts and added (one answer moved: its old pairs taken away)."""
    from pipelines import marts

    con = demo_copy
    con.execute("""CREATE TEMP TABLE new_answers AS
                   SELECT * REPLACE ('NEW-' || response_id AS response_id) FROM fct_survey_response
                   WHERE response_id IN (SELECT response_id FROM mart_delivery_answer ORDER BY response_id LIMIT 300)""")
    moved, account = con.execute("SELECT response_id, account_id FROM mart_delivery_answer ORDER BY response_id DESC LIMIT 1").fetchone()
    marts.record_change(con, "fct_survey_response", "SELECT response_id, account_id FROM new_answers UNION ALL SELECT ?, ?",
                        [moved, account])
    con.execute("INSERT INTO fct_survey_response SELECT * FROM new_answers")
    con.execute("UPDATE fct_survey_response SET responded_at = responded_at - INTERVAL 20 DAY WHERE response_id = ?", [moved])
    before = scalar(con, "SELECT sum(answers) FROM mart_delivery_histogram")
    added_up = _histogram_added_up(monkeypatch)
    assert marts.build(con) == "refreshed"
    assert added_up == [True]
    assert scalar(con, "SELECT sum(answers) FROM mart_delivery_histogram") > before
    assert _marts_differing_from_a_full_rebuild(con) == {}


@pytest.mark.parametrize("change", ["first pair of a month", "last pair of a month"])
def test_a_refresh_that_changes_the_histograms_period_starts_counts_it_anew(demo_copy, monkeypatch, change):
    """A pair ending in a month no other pair ends in adds a period start; taking the last one away
    removes one: the counts of the changed pairs alone cannot say that, so the histogram is counted
    anew, equal to a rebuild."""
    from pipelines import marts

    con = demo_copy
    month = scalar(con, "SELECT min(date_trunc('month', actual_end_date)) FROM mart_delivery_answer")
    paired = [row[0] for row in con.execute("""SELECT DISTINCT response_id FROM mart_delivery_answer
                                               WHERE date_trunc('month', actual_end_date) = ? ORDER BY 1""", [month]).fetchall()]
    kept = paired[0]  # the month's pairs: this answer's only
    con.execute("CREATE TEMP TABLE held AS SELECT * FROM fct_survey_response WHERE response_id = ?", [kept])
    con.execute("DELETE FROM fct_survey_response WHERE list_contains(?, response_id)", [paired])
    if change == "last pair of a month":
        con.execute("INSERT INTO fct_survey_response SELECT * FROM held")
    assert marts.build(con) == "rebuilt"  # nothing recorded
    account = scalar(con, "SELECT account_id FROM held")
    marts.record_change(con, "fct_survey_response", "SELECT ?, ?", [kept, account])
    if change == "first pair of a month":
        con.execute("INSERT INTO fct_survey_response SELECT * FROM held")
    else:
        con.execute("UPDATE fct_survey_response SET responded_at = responded_at - INTERVAL 30 YEAR WHERE response_id = ?", [kept])
    added_up = _histogram_added_up(monkeypatch)
    assert marts.build(con) == "refreshed"
    assert added_up == [False]
    assert _marts_differing_from_a_full_rebuild(con) == {}


def test_a_change_the_refresh_cannot_apply_rebuilds_every_mart(demo_copy):
    """A deal changed, or an answer that moves the data date: the marts are rebuilt whole."""
    from pipelines import marts

    con = demo_copy
    marts.record_change(con, "fct_opportunity", "SELECT opportunity_id, account_id FROM fct_opportunity LIMIT 1")
    assert marts.build(con) == "rebuilt"
    later = scalar(con, "SELECT data_date FROM mart_data_date") + timedelta(days=3)
    con.execute("""INSERT INTO fct_survey_response SELECT * REPLACE ('LATER-1' AS response_id, CAST(? AS TIMESTAMP) AS responded_at)
                   FROM fct_survey_response LIMIT 1""", [later])
    marts.record_change(con, "fct_survey_response", "SELECT response_id, account_id FROM fct_survey_response WHERE response_id = 'LATER-1'")
    assert marts.build(con) == "rebuilt"
    assert scalar(con, "SELECT data_date FROM mart_data_date") == later
    assert _marts_differing_from_a_full_rebuild(con) == {}


def test_an_answer_naming_another_accounts_project_is_refreshed_as_a_rebuild_pairs_it(demo_copy):
    """The marts of one row per answer are refreshed from every project, not only the touched
    accounts': an answer moved away from its project's account keeps its pairs with that project."""
    from pipelines import marts

    con = demo_copy
    answer, account = con.execute("""SELECT response_id, account_id FROM fct_survey_response
                                     WHERE project_id IS NOT NULL ORDER BY response_id LIMIT 1""").fetchone()
    other = scalar(con, f"SELECT min(account_id) FROM dim_account WHERE account_id <> '{account}'")
    marts.record_change(con, "fct_survey_response", "SELECT ?, ? UNION ALL SELECT ?, ?", [answer, account, answer, other])
    con.execute("UPDATE fct_survey_response SET account_id = ? WHERE response_id = ?", [other, answer])
    assert marts.build(con) == "refreshed"
    assert _marts_differing_from_a_full_rebuild(con) == {}


def test_answers_moved_into_and_out_of_the_account_facts_window_refresh_them_as_a_rebuild(demo_copy):
    """mart_account_facts refreshes only the accounts of answers dated within its 12 months up to the
    data date (marts.ANSWERED_ACCOUNTS), as loaded or as held before: an answer moved out of the
    window leaves its account's facts, one moved in joins another's, one outside both is no change."""
    from pipelines import marts

    con = demo_copy
    assert f"INTERVAL {marts.FACTS_ANSWER_MONTHS} MONTH" in marts.sql_of("mart_account_facts")
    data_date = scalar(con, "SELECT data_date FROM mart_data_date")
    inside, outside = [con.execute(f"""SELECT response_id, account_id FROM fct_survey_response
                                       WHERE CAST(responded_at AS DATE) {window} ORDER BY response_id LIMIT 1""",
                                   [data_date, data_date]).fetchone()
                       for window in ("BETWEEN ? - INTERVAL 11 MONTH AND ? - INTERVAL 1 MONTH",
                                      "NOT BETWEEN ? - INTERVAL 13 MONTH AND ?")]
    for (response, account), moved_to in ((inside, data_date - timedelta(days=3 * 365)),
                                          (outside, data_date - timedelta(days=60))):
        marts.record_change(con, "fct_survey_response", "SELECT ?, ?", [response, account])
        con.execute("UPDATE fct_survey_response SET responded_at = CAST(? AS TIMESTAMP) WHERE response_id = ?",
                    [moved_to, response])
    assert marts.build(con) == "refreshed"
    assert _marts_differing_from_a_full_rebuild(con) == {}


def test_account_facts_columns_a_refresh_leaves_read_no_answer(demo_db, reader):
    """A refresh updates only mart_account_facts' columns of marts.ANSWER_COLUMNS: its SQL run with
    no answer at all gives every other column as the mart holds it, and those columns otherwise."""
    from pipelines import marts

    con = reader(demo_db).cursor()
    con.execute("USE warehouse")
    con.execute("CREATE TEMP VIEW mart_response_outcome AS SELECT * FROM warehouse.main.mart_response_outcome WHERE FALSE")
    columns = [row[0] for row in con.execute("DESCRIBE mart_account_facts").fetchall()]
    read_answers = [c for c in columns if c.startswith(marts.ANSWER_COLUMNS["mart_account_facts"])]
    others = ", ".join(f'"{c}"' for c in columns if c not in read_answers)
    held = f"SELECT {others} FROM warehouse.main.mart_account_facts"
    without_answers = f"SELECT {others} FROM ({marts.sql_of('mart_account_facts')})"
    assert scalar(con, f"SELECT count(*) FROM (({held}) EXCEPT ALL ({without_answers}))") == 0
    assert scalar(con, f"SELECT count(*) FROM (({without_answers}) EXCEPT ALL ({held}))") == 0
    assert scalar(con, f"""SELECT count(*) FROM warehouse.main.mart_account_facts AS f JOIN ({marts.sql_of('mart_account_facts')}) AS n
                           USING (account_id) WHERE f.nps_answers_12m <> n.nps_answers_12m""") > 0


def test_every_mart_is_placed_for_the_refresh_and_those_left_alone_read_no_answers():
    """A new mart must say how a survey load treats it (marts.ROWS_OF_TOUCHED, WITHOUT_ANSWERS,
    REBUILT_WHOLE or SUMMED_AFTER_REFRESH); the marts a refresh leaves alone read no answers, directly or through a mart."""
    import re

    from pipelines import marts

    placed = [*marts.ROWS_OF_TOUCHED, *marts.WITHOUT_ANSWERS, *marts.REBUILT_WHOLE, *marts.SUMMED_AFTER_REFRESH]
    assert sorted(placed) == sorted(marts.MART_ORDER)
    reads = {name: set(re.findall(r"\b(?:fct|dim|mart)_[a-z_]+", marts.sql_of(name))) - {name} for name in marts.MART_ORDER}

    def reaches_answers(name: str, seen: frozenset = frozenset()) -> bool:  # (comments name marts too: cycles)
        return any(table == "fct_survey_response" or (table in reads and table not in seen
                                                      and reaches_answers(table, seen | {name})) for table in reads[name])

    assert [name for name in marts.WITHOUT_ANSWERS if reaches_answers(name)] == []
    assert all(reaches_answers(name) for name in marts.ROWS_OF_TOUCHED)


# The source of each kind of account event and the day it happened (mart_account_event).
EVENT_SOURCES = {
    "deal": ("fct_opportunity", "opportunity_id", "COALESCE(close_date, created_date)", "TRUE"),
    "project start": ("fct_project", "project_id", "start_date", "TRUE"),
    "project end": ("mart_project", "project_id", "actual_end_date", "is_delivered"),
    "escalation": ("fct_escalation", "escalation_id", "CAST(opened_at AS DATE)", "TRUE"),
    "activity": ("fct_activity", "activity_id", "activity_date", "TRUE"),
    "nps answer": ("fct_survey_response", "response_id", "CAST(responded_at AS DATE)", "survey_type = 'nps'"),
    "csat answer": ("fct_survey_response", "response_id", "CAST(responded_at AS DATE)", "survey_type = 'csat'"),
}


@pytest.mark.parametrize("kind", EVENT_SOURCES)
def test_account_events_are_every_row_of_their_source_up_to_the_data_date_once(con, kind):
    table, key, day, which = EVENT_SOURCES[kind]
    expected = scalar(con, f"""SELECT count(*) FROM {table} WHERE {which} AND account_id IS NOT NULL
                               AND {day} <= (SELECT data_date FROM mart_data_date)""")
    assert scalar(con, f"SELECT count(*) FROM mart_account_event WHERE kind = '{kind}'") == expected
    assert scalar(con, f"SELECT count(DISTINCT ref) FROM mart_account_event WHERE kind = '{kind}'") == expected
    assert scalar(con, f"""SELECT count(*) FROM mart_account_event AS e JOIN {table} AS s ON s.{key} = e.ref
                           WHERE e.kind = '{kind}' AND e.account_id = s.account_id AND e.day = {day}""") == expected


def test_daily_totals_reconcile_with_the_marts_they_sum(con):
    """mart_daily_totals holds every dated answer, deal and delivered project once: its sums over all
    days equal the same sums over the rows."""
    totals = con.execute("""SELECT sum(responses), sum(nps_answers), sum(promoters) - sum(detractors), sum(satisfied),
                                   sum(closed_deals), sum(won_amount), sum(lead_won), sum(profit), sum(revenue)
                            FROM mart_daily_totals""").fetchone()
    rows = con.execute("""SELECT
        (SELECT count(*) FROM mart_response_outcome WHERE answer_date IS NOT NULL),
        (SELECT count(nps_points) FROM mart_response_outcome WHERE answer_date IS NOT NULL),
        (SELECT sum(nps_points) FROM mart_response_outcome WHERE answer_date IS NOT NULL),
        (SELECT sum(csat_points) FROM mart_response_outcome WHERE answer_date IS NOT NULL),
        (SELECT count(*) FROM mart_opportunity WHERE is_closed AND close_date IS NOT NULL),
        (SELECT sum(CASE WHEN is_won THEN amount ELSE 0 END) FROM mart_opportunity WHERE close_date IS NOT NULL),
        (SELECT count(*) FROM mart_opportunity WHERE is_delivery_lead AND is_won AND close_date IS NOT NULL),
        (SELECT sum(profit) FROM mart_project WHERE is_delivered AND actual_end_date IS NOT NULL),
        (SELECT sum(revenue) FROM mart_project WHERE is_delivered AND actual_end_date IS NOT NULL)""").fetchone()
    assert totals == rows


@pytest.mark.parametrize("measure", ["nps", "csat"])
@pytest.mark.parametrize("choice", ["Last 12 months", "Last 3 months", "Year to date", "All time"])
def test_delivery_counts_read_from_the_histogram_equal_counting_the_pairs(con, monkeypatch, measure, choice):
    import pandas as pd

    from pipelines import metrics
    from pipelines.metrics import delivery

    period = metrics.period_of(choice, metrics.data_date(con))
    assert delivery._histogram_start(con, period) is not None  # every sidebar period is read from the mart
    precomputed = delivery.delivery_to_satisfaction(con, period, measure)
    effect = delivery.delivery_effect(con, period, measure)
    monkeypatch.setattr(delivery, "_histogram_start", lambda _con, _period: None)  # counted over the pairs
    pd.testing.assert_frame_equal(precomputed, delivery.delivery_to_satisfaction(con, period, measure), rtol=1e-12)
    live = delivery.delivery_effect(con, period, measure)
    assert effect.keys() == live.keys()
    for key, value in effect.items():
        assert value == (pytest.approx(live[key], rel=1e-12, nan_ok=True) if isinstance(value, float) else live[key])
