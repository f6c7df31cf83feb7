"""The delivery-lead trend by quarter (Delivery-generated leads page), computed by hand on the
fixture world, and on a filter that leaves no deal."""

from __future__ import annotations

from datetime import date

import math

from pipelines import metrics
from pipelines.metrics import Filters, Period

ALL_TIME = Period(date(2020, 1, 1), date(2026, 6, 30))


def test_the_trend_counts_each_quarters_deals_by_source_as_computed_by_hand(world_db, reader):
    # Close dates in the fixture world: 2025Q1 OPP001 delivery won 100k, OPP005 partner won 20k and
    # OPP003 sales won 80k; 2025Q2 OPP004 delivery lost, OPP002 marketing won 50k; 2025Q3 OPP006
    # referral won 40k; 2025Q4 OPP007 delivery still open. The data date (2026-06-30) ends a quarter.
    with reader(world_db) as con:
        trend = metrics.lead_sources_by_quarter(con, ALL_TIME)
    rows = {(r.quarter, r.source): r for r in trend.itertuples()}
    assert sorted(rows) == [("2025Q1", "delivery"), ("2025Q1", "other sources"), ("2025Q2", "delivery"),
                            ("2025Q2", "other sources"), ("2025Q3", "other sources"), ("2025Q4", "delivery")]
    assert (rows["2025Q1", "delivery"].won, rows["2025Q1", "delivery"].net_sales) == (1, 100_000)
    assert (rows["2025Q1", "other sources"].deals, rows["2025Q1", "other sources"].net_sales) == (2, 100_000)
    assert rows["2025Q2", "delivery"].win_rate == 0.0
    assert rows["2025Q2", "other sources"].win_rate == 1.0
    assert (rows["2025Q4", "delivery"].deals, rows["2025Q4", "delivery"].closed) == (1, 0)
    assert math.isnan(rows["2025Q4", "delivery"].win_rate)  # an open deal wins nothing yet: no rate, not 0%
    assert not trend["partial"].any()


def test_a_filter_that_leaves_no_deal_gives_an_empty_trend_not_a_crash(world_db, reader):
    with reader(world_db) as con:
        trend = metrics.lead_sources_by_quarter(con, Filters(period=Period(date(1990, 1, 1), date(1990, 3, 31))))
    assert trend.empty
    assert {"quarter", "source", "win_rate", "partial"} <= set(trend.columns)
