"""Overview: the few numbers an executive reviews, with trend and the satisfaction -> profit link."""

import streamlit as st

from pipelines import metrics
from ui import charts, data, drill, exports, filters, format
from ui.format import delta, money, money_delta, number, pct

st.title("Overview")
st.caption("Is delivery quality turning into profit on the next deal? Headline KPIs against the previous period.")

chosen, data_date, stamp, previous = filters.page_filters()
now = data.query(metrics.kpis, chosen)
before = data.query(metrics.kpis, previous) if previous else {}


def was(*path):
    value = before
    for key in path:
        value = (value or {}).get(key)
    return value


st.caption(f"Filters: {filters.describe(chosen)} · data up to {data_date:%d %b %Y}" + (f" · deltas against {filters.describe(previous.period)}" if previous else ""))

row = st.columns(4)
row[0].metric("NPS", number(now["nps"]), delta(now["nps"], was("nps"), unit=" pts"), help=metrics.DEFINITIONS["nps"])
row[1].metric("CSAT", pct(now["csat_pct"]), delta(now["csat_pct"], was("csat_pct"), 100, " pts"), help=metrics.DEFINITIONS["csat_pct"])
row[2].metric("Won amount", money(now["won_amount"]), money_delta(now["won_amount"], was("won_amount")), help=metrics.DEFINITIONS["won_amount"])
row[3].metric("Re-business rate", pct(now["rebusiness_rate"]), delta(now["rebusiness_rate"], was("rebusiness_rate"), 100, " pts"), help=metrics.DEFINITIONS["rebusiness_rate"])
row = st.columns(4)
row[0].metric("Delivered margin", pct(now["delivered_margin"]), delta(now["delivered_margin"], was("delivered_margin"), 100, " pts"), help=metrics.DEFINITIONS["delivered_margin"])
row[1].metric("Re-business margin", pct(now["rebusiness_margin"]), delta(now["rebusiness_margin"], was("rebusiness_margin"), 100, " pts"), help=metrics.DEFINITIONS["rebusiness_margin"])
leads = now["delivery_leads"]
row[2].metric("Delivery-lead net sales", money(leads["net_sales"]), money_delta(leads["net_sales"], was("delivery_leads", "net_sales")), help=f"{leads['count']:,} delivery-sourced deals, win rate {pct(leads['win_rate'])}. " + metrics.DEFINITIONS["delivery_leads"])
escalations = now["escalations"]
row[3].metric("Escalations", number(escalations["count"]), delta(escalations["count"], was("escalations", "count"), digits=0), delta_color="inverse", help=f"median {number(escalations['median_hours_to_resolve'])} h to resolve; {escalations['with_sales_involved']:,} with sales involved. " + metrics.DEFINITIONS["escalations"])

st.subheader("Does satisfaction bring the next deal?")
answered = metrics.answers_followed_into(chosen, 12)
link = data.query(metrics.rebusiness_by_nps_category, answered, months=12)
clicked = exports.show_chart(charts.nps_link_bars(link), link, "Re-business within 12 months of an NPS answer", stamp,
                             select_key="link_bars")
drill.rows_behind(clicked, link, lambda bar: data.query(metrics.answers_behind, answered, 12, "nps_category", bar["category"]),
                  lambda bar: f"The {bar['category']} answers behind the bar", stamp, "link_bars")
st.caption(
    f"n = {link['n'].sum():,} NPS answers with a complete 12-month window"
    + (f", given {filters.describe(answered.period)} so that their next 12 months fall in the period" if answered.period.start else "")
    + f"; whiskers are 95% Wilson intervals; "
    f"groups under {charts.SMALL_N} answers are greyed. Answers from one account are not independent: "
    "read the intervals as a lower bound on the uncertainty. Click a bar to list its answers."
)

st.subheader("Monthly trend")
trend = data.query(metrics.monthly_trend, chosen)
left, middle, right = st.columns(3)
nps_chart, won_chart, margin_chart = charts.monthly_trend_lines(trend)
exports.show_chart(nps_chart, trend[["month", "nps", "nps_ci_low", "nps_ci_high", "nps_answers"]], "Monthly NPS", stamp, left)
exports.show_chart(won_chart, trend[["month", "won_amount", "rebusiness_rate"]], "Monthly won amount", stamp, middle)
exports.show_chart(margin_chart, trend[["month", "delivered_margin"]], "Monthly delivered margin", stamp, right)

st.caption("The shaded band is the 95% interval of each month's NPS: months with few answers swing by chance.")

format.definitions(*metrics.DEFINITIONS)
exports.board_pack_button(chosen, st.sidebar)  # one click: these filters' KPIs and key charts as a PDF
