"""Escalations: how often projects escalate, how fast they are resolved, and what follows them."""

import streamlit as st

from pipelines import metrics
from pipelines.reporting import charts
from ui import data, drill, exports, filters
from pipelines.reporting.formats import delta, number, pct

# The metrics this page shows: its Definitions expander and every export explain them.
DEFINED = ("escalations", "escalation_rate", "escalation_aftermath")

st.title("Escalations")
st.caption(
    "Escalations arrive after the deal is booked: how many there are per active project, how fast they are "
    "resolved, and whether sales being involved changes what the client does next."
)

chosen, data_date, stamp, previous = filters.page_filters()
measure, label = filters.measure(), filters.measure_label()
st.caption(filters.sources_line("escalations", "projects", "deals", measure))
if not filters.loaded("escalations"):
    # No escalation export is not "0 escalations": say what to load instead.
    st.info(metrics.missing_note("escalations"))
    st.stop()

now = data.query(metrics.kpis, chosen)["escalations"]
before = data.query(metrics.kpis, previous)["escalations"] if previous else {}
projects = data.query(metrics.active_projects, chosen)
projects_before = data.query(metrics.active_projects, previous) if previous else None
rate = now["count"] / projects if projects else None
rate_before = before["count"] / projects_before if projects_before else None
row = st.columns(4)
row[0].metric(
    "Escalations", number(now["count"]), delta(now["count"], before.get("count"), digits=0), delta_color="inverse"
)
row[1].metric(
    "Per active project",
    number(rate, 2),
    delta(rate, rate_before, digits=2),
    delta_color="inverse",
    help=f"{projects:,} projects active in the period. " + metrics.DEFINITIONS["escalation_rate"],
)
row[2].metric(
    "Median hours to resolve",
    number(now["median_hours_to_resolve"]),
    delta(now["median_hours_to_resolve"], before.get("median_hours_to_resolve"), digits=0),
    delta_color="inverse",
)
share = now["with_sales_involved"] / now["count"] if now["count"] else None
share_before = before["with_sales_involved"] / before["count"] if before.get("count") else None
row[3].metric("With sales involved", pct(share), delta(share, share_before, 100, " pts"))
st.caption(filters.in_force(chosen, previous))

for by in ("severity", "category"):
    st.subheader(f"By {by}")
    table = data.query(metrics.escalation_breakdown, chosen, by)
    if table.empty:  # two charts and a table of nothing: one sentence instead
        st.info(f"No escalations opened in the period ({filters.describe(chosen.period)}).")
        continue
    count, share_chart = st.columns(2)
    clicked = exports.show_chart(
        charts.interval_bars(
            table,
            by,
            "per_active_project",
            f"Escalations per active project by {by}",
            "escalations / active project",
            low="per_active_project",
            high="per_active_project",
            n="escalations",
            tickformat=".2f",
            text_format="{:.2f}",
            y_range=None,
        ),
        table,
        f"Escalations per active project by {by}",
        stamp,
        count,
        definitions=("escalation_rate",),
        select_key=f"per-project-{by}",
    )
    exports.show_chart(
        charts.interval_bars(
            table,
            by,
            "sales_share",
            f"Share with sales involved by {by}",
            "escalations with sales involved",
            low="sales_ci_low",
            high="sales_ci_high",
            n="escalations",
        ),
        table,
        f"Sales involved by {by}",
        stamp,
        share_chart,
        definitions=("escalations",),
    )
    drill.rows_behind(
        clicked,
        table,
        lambda bar: data.query(metrics.escalations_behind, chosen, by, bar[by]),
        lambda bar: f"Escalations of {by} {bar[by]} opened in the period",
        stamp,
        f"per-project-{by}",
    )
    exports.show_table(
        table[[by, "escalations", "still_open", "median_hours_to_resolve", "per_active_project", "sales_share"]],
        f"Escalations by {by}",
        stamp,
        definitions=("escalations", "escalation_rate"),
    )
    st.caption("Click a bar of escalations per project to list them.")

st.subheader("What followed: with and without sales involved")
# Escalations opened a window earlier, so that the 12 months after them fall in the period.
opened = metrics.answers_followed_into(chosen, metrics.AFTERMATH_MONTHS)
after = charts.with_involvement(data.query(metrics.escalation_aftermath, opened, measure=measure))
left, right = st.columns(2)
if not after["complete"].sum():  # bars of n = 0
    left.info(f"No escalation opened {filters.describe(opened.period)} has its 12 months complete.")
    followed = None
else:
    followed = exports.show_chart(
        charts.aftermath_rebusiness_bars(after),
        after,
        "Re-business after escalations",
        stamp,
        left,
        definitions=("escalation_aftermath",),
        select_key="aftermath",
    )
if not after["next_answers"].sum():
    right.info(f"No {label} answer followed these escalations within 12 months.")
else:
    exports.show_chart(
        charts.interval_bars(
            after,
            "involvement",
            "next_satisfaction",
            f"{label} of the account's next answers",
            colours=charts.INVOLVEMENT_COLOURS,
            low="next_satisfaction_ci_low",
            high="next_satisfaction_ci_high",
            n="next_answers",
            **charts.SATISFACTION_AXES[measure],
        ),
        after,
        f"Next {label} after escalations",
        stamp,
        right,
        definitions=("escalation_aftermath",),
    )
st.caption(
    f"Escalations opened {filters.describe(opened.period)}, so that their next 12 months fall in the period. "
    "n under each bar: escalations whose 12 months are complete (re-business) and escalations followed by a "
    f"{label} answer within 12 months (next {label}); whiskers are 95% intervals; "
    f"groups under {charts.SMALL_N} are greyed. "
    "Click a re-business bar to list its escalations."
)
drill.rows_behind(
    followed,
    after,
    lambda bar: data.query(metrics.escalations_behind, opened, "sales_involved", bool(bar["sales_involved"])),
    lambda bar: f"Escalations with {bar['involvement']}, opened {filters.describe(opened.period)}",
    stamp,
    "aftermath",
)

exports.definitions(*DEFINED)
