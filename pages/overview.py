"""Overview: the few numbers an executive reviews, with trend and the satisfaction -> profit link."""

import streamlit as st

from pipelines import metrics
from pipelines.reporting import board_pack, charts
from ui import data, drill, exports, filters
from pipelines.reporting.kpis import KPIS

st.title("Overview")
st.caption("Is delivery quality turning into profit on the next deal? Headline KPIs against the previous period.")

chosen, data_date, stamp, previous = filters.page_filters()
now = data.query(metrics.kpis, chosen)
before = data.query(metrics.kpis, previous) if previous else None

st.caption(f"{filters.in_force(chosen, previous)} · data up to {data_date:%d %b %Y}")
exports.show_kpis(KPIS, now, before)  # the board pack's KPI table, tile for tile

st.subheader("Does satisfaction bring the next deal?")
answered = metrics.answers_followed_into(chosen, board_pack.LINK_MONTHS)
link = data.query(metrics.rebusiness_by_nps_category, answered, months=board_pack.LINK_MONTHS)
clicked = exports.show_chart(
    charts.nps_link_bars(link),
    link,
    "Re-business within 12 months of an NPS answer",
    stamp,
    definitions=("nps_rebusiness_link",),
    select_key="link_bars",
)
drill.rows_behind(
    clicked,
    link,
    lambda bar: data.query(metrics.answers_behind, answered, 12, "nps_category", bar["category"]),
    lambda bar: f"The {bar['category']} answers behind the bar",
    stamp,
    "link_bars",
)
st.caption(
    f"n = {link['n'].sum():,} NPS answers with a complete 12-month window"
    + (
        f", given {filters.describe(answered.period)} so that their next 12 months fall in the period"
        if answered.period.start
        else ""
    )
    + f"; whiskers are 95% Wilson intervals; "
    f"groups under {charts.SMALL_N} answers are greyed. Answers from one account are not independent: "
    "read the intervals as a lower bound on the uncertainty. Click a bar to list its answers."
)

st.subheader("Monthly trend")
trend = data.query(metrics.monthly_trend, chosen)
left, middle, right = st.columns(3)
nps_chart, won_chart, margin_chart = charts.monthly_trend_lines(trend)
exports.show_chart(
    nps_chart, trend[["month", "nps", "nps_ci_low", "nps_ci_high", "nps_answers"]], "Monthly NPS", stamp, left
)
exports.show_chart(won_chart, trend[["month", "won_amount", "rebusiness_rate"]], "Monthly won amount", stamp, middle)
exports.show_chart(margin_chart, trend[["month", "delivered_margin"]], "Monthly delivered margin", stamp, right)

st.caption("The shaded band is the 95% interval of each month's NPS: months with few answers swing by chance.")

exports.definitions(*(kpi.definition for kpi in KPIS), "nps_rebusiness_link")
exports.board_pack_button(chosen, st.sidebar)  # one click: these filters' KPIs and key charts as a PDF
