"""Re-business & margin: is the next deal with a client worth more than the first, and does how a
deal was sold show in how it was delivered and how the client felt afterwards?"""

import streamlit as st

from pipelines import metrics
from pipelines.reporting import charts
from ui import data, drill, exports, filters
from pipelines.reporting.kpis import BY_KEY

# The metrics this page shows: its Definitions expander and every export explain them.
DEFINED = ("rebusiness_rate", "rebusiness_margin", "rebusiness_vs_first_time", "sold_vs_delivered", "sales_governance")

st.title("Re-business & margin")
st.caption(
    "Sales sells what delivery must deliver: re-business against first-time business, each sales rep's "
    "projects against budget and plan and the satisfaction that followed, and the governance behind them."
)

chosen, data_date, stamp, previous = filters.page_filters()
measure, label = filters.measure(), filters.measure_label()
st.caption(filters.sources_line("deals", "projects", "budgets", "activities", "escalations", measure))

now = data.query(metrics.kpis, chosen)
before = data.query(metrics.kpis, previous) if previous else None
shown_kpis = [BY_KEY[key] for key in ("rebusiness_rate", "rebusiness_margin", "won_amount")]
exports.show_kpis(shown_kpis, now, before, per_row=3)
st.caption(filters.in_force(chosen, previous))

st.subheader("Re-business against first-time business")
split = data.query(metrics.rebusiness_vs_first_time, chosen)
left, right = st.columns(2)
by_business = exports.show_chart(
    charts.business_margin_bars(split),
    split,
    "Margin re-business vs first-time",
    stamp,
    left,
    definitions=("rebusiness_vs_first_time", "rebusiness_margin"),
    select_key="business",
)
right.caption(
    "n under each bar = projects completed in the period; whiskers are the 95% t-interval of the mean project margin. "
    "Click a bar to list its projects."
)
exports.show_table(
    split, "Re-business vs first-time business", stamp, definitions=("rebusiness_vs_first_time", "rebusiness_margin")
)
drill.rows_behind(
    by_business,
    split,
    lambda bar: data.query(metrics.projects_behind, chosen, "business", bar["business"]),
    lambda bar: f"{bar['business'].capitalize()} projects completed in the period",
    stamp,
    "business",
)

st.subheader("Sold vs delivered, by the sales rep who sold it")
reps = data.query(metrics.sold_vs_delivered_by_rep, chosen, measure=measure)
charted = reps.head(charts.MAX_BARS)  # the reps with the most projects; the table below lists every one
left, right = st.columns(2)
budgets_loaded = filters.loaded("budgets")
by_rep = None  # no budgets is not "on budget": no +0.0% bars
if budgets_loaded:
    by_rep = exports.show_chart(
        charts.interval_bars(
            charted,
            "sales_rep",
            "budget_variance",
            "Budget variance of the projects each rep sold",
            "actual / budget cost − 1",
            low="variance_ci_low",
            high="variance_ci_high",
            n="n_budget",
            text_format="{:+.1%}",
            y_range=None,
        ),
        reps,
        "Budget variance by sales rep",
        stamp,
        left,
        definitions=("sold_vs_delivered",),
        select_key="variance-rep",
    )
else:
    left.info(metrics.missing_note("budgets"))
if not reps["answers_after"].sum():  # bars of n = 0 would be a blank box
    right.info(f"No {label} answers within {metrics.FOLLOWED_MONTHS} months after these projects.")
else:
    exports.show_chart(
        charts.interval_bars(
            charted,
            "sales_rep",
            "satisfaction_after",
            f"{label} within {metrics.FOLLOWED_MONTHS} months after those projects",
            low="satisfaction_after_ci_low",
            high="satisfaction_after_ci_high",
            n="answers_after",
            **charts.SATISFACTION_AXES[measure],
        ),
        reps,
        f"{label} after projects by sales rep",
        stamp,
        right,
        definitions=("sold_vs_delivered",),
    )
exports.show_table(
    reps,
    "Sold vs delivered by sales rep",
    stamp,
    definitions=("sold_vs_delivered",),
    # The chosen measure's columns say it; the export keeps the counts and the other measure's.
    hide=("promoters_after", "detractors_after", "satisfied_after", "satisfaction_after", "satisfaction_after_ci_low",
          "satisfaction_after_ci_high", *(f"{other}_after{suffix}" for other in metrics.MEASURES if other != measure
                                        for suffix in ("", "_ci_low", "_ci_high")),
          # the counts behind the charts' n (the export keeps them), so the figures fit a 1440 px screen
          "n_budget", "answers_after",
          # no budgets, no answers after: columns of "—" only (the notes above say why)
          *(() if budgets_loaded else ("budget_variance", "variance_ci_low", "variance_ci_high")),
          *(() if reps["answers_after"].sum() else (f"{measure}_after", f"{measure}_after_ci_low",
                                                     f"{measure}_after_ci_high"))),
)
charted_n = [f"{label} answers after them ({label})"]
if budgets_loaded:
    charted_n.insert(0, "projects with a budget (variance)")
st.caption(
    f"n = the rep's projects completed in the period; a chart's n = {' and '.join(charted_n)}; whiskers are 95% "
    f"intervals; reps under {charts.SMALL_N} are greyed."
    + (" Click a budget-variance bar to list that rep's projects." if budgets_loaded else "")
    + (
        f" The charts show the {len(charted)} reps with the most projects of {len(reps):,}; the table lists all."
        if len(charted) < len(reps)
        else ""
    )
)
drill.rows_behind(
    by_rep,
    charted,
    lambda bar: data.query(metrics.projects_behind, chosen, "sales_rep", bar["sales_rep"]),
    lambda bar: f"Projects sold by {bar['sales_rep']}, completed in the period",
    stamp,
    "variance-rep",
)

split_reports = data.query(metrics.sold_vs_delivered_by_status_reports, chosen)
if not filters.loaded("activities") or not budgets_loaded:
    st.caption("Status reports against budget and plan: "
               + metrics.missing_note("activities" if not filters.loaded("activities") else "budgets") + ".")
elif len(split_reports) == 2:
    by_reports = split_reports.set_index("seller_sent_status_reports")
    sent, silent = by_reports.loc[True], by_reports.loc[False]
    st.caption(
        f"Projects whose seller sent status reports slipped {sent['mean_slip_days']:.0f} days on average and ran "
        f"{sent['mean_budget_variance']:+.1%} over budget (n = {int(sent['projects']):,}); "
        f"without: {silent['mean_slip_days']:.0f} days, "
        f"{silent['mean_budget_variance']:+.1%} (n = {int(silent['projects']):,})."
    )

st.subheader("Sales governance")
per = st.segmented_control(
    "Per sales", ["rep", "team"], default="rep", key="governance_by", bind="query-params", required=True
)
governance = data.query(metrics.sales_governance, chosen, per)
if not filters.loaded("activities"):  # status reports, joint engagements and meetings would all read 0
    st.info(metrics.missing_note("activities"))
else:
    exports.show_table(governance, f"Sales governance by {per}", stamp, definitions=("sales_governance",))
st.caption(
    "Sort by a column to compare. A rep's team is the one most of their deals name (the CRM's owner role or "
    f'team); reps whose deals name none are under "{metrics.NO_TEAM}".'
)

exports.definitions(*DEFINED)
