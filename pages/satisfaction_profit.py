"""Satisfaction -> Profit: does a happier client sign the next deal, for more, at a better margin?"""

import streamlit as st

from pipelines import metrics
from pipelines.reporting import charts
from ui import data, drill, exports, filters
from pipelines.reporting.formats import currency_unit, money, pct

# The metrics this page shows: its Definitions expander and every export explain them.
DEFINED = (
    "satisfaction_outcome",
    "score_regression",
    "win_win",
    "earned_growth",
    "rebusiness_rate",
    "delivered_margin",
)

st.title("Satisfaction → Profit")
st.caption(
    "There is no business like re-business: this page puts figures, with their n and 95% intervals, "
    "on what each survey answer was followed by on the same account."
)

chosen, data_date, stamp, _ = filters.page_filters()
measure, label = filters.measure(), filters.measure_label()
st.caption(filters.sources_line("nps", "csat", "deals", "projects"))
months = st.radio(
    "Months after the answer",
    list(metrics.OUTCOME_WINDOWS),
    index=len(metrics.OUTCOME_WINDOWS) - 1,
    horizontal=True,
    key="months",
    bind="query-params",
    help="How long after each answer to look for the account's re-business.",
)
answered = metrics.answers_followed_into(chosen, months)
st.caption(
    f"Answers given {filters.describe(answered.period)}, so that their next {months} months fall in the period "
    f"({filters.describe(chosen.period)}); only answers whose {months}-month window is complete count."
)


def outcome_charts(by: str, colours: dict | None, label: str) -> None:
    table = data.query(metrics.outcome_by_group, answered, months, by)
    if not table["n"].sum():  # three charts of "no data" bars say less than one sentence
        st.info(f"No answers whose {months}-month window is complete in this period: choose fewer months after "
                "the answer, or a period that ends earlier.")
        return
    rate, amount, margin = st.columns(3)
    clicked = exports.show_chart(
        charts.interval_bars(
            table, "group", "rate", f"Re-business within {months} months", "answers followed by re-business", colours
        ),
        table,
        f"Re-business rate by {label} ({months} m)",
        stamp,
        rate,
        definitions=("satisfaction_outcome",),
        select_key=f"rate-{by}",
    )
    exports.show_chart(
        charts.money_bars(
            table,
            "group",
            "amount",
            "Re-business amount per answer",
            "mean won amount",
            colours,
            low="amount_ci_low",
            high="amount_ci_high",
        ),
        table,
        f"Re-business amount by {label} ({months} m)",
        stamp,
        amount,
        definitions=("satisfaction_outcome",),
    )
    if not table["n_margin"].sum():
        margin.info(f"No re-business with a completed project followed these answers within {months} months: "
                    "no delivered margin to show.")
    else:
        exports.show_chart(
            charts.interval_bars(
                table,
                "group",
                "margin",
                "Margin of that re-business",
                "mean delivered margin",
                colours,
                low="margin_ci_low",
                high="margin_ci_high",
                n="n_margin",
                text_format="{:.1%}",
                y_range=None,
            ),
            table,
            f"Re-business margin by {label} ({months} m)",
            stamp,
            margin,
            definitions=("satisfaction_outcome",),
        )
    st.caption(
        f"n = {table['n'].sum():,} answers ({table['n_margin'].sum():,} with delivered re-business for the margin); "
        f"whiskers are 95% intervals; groups under {charts.SMALL_N} are greyed. "
        "Click a re-business bar to list its answers."
    )
    drill.rows_behind(
        clicked,
        table,
        lambda bar: data.query(metrics.answers_behind, answered, months, by, bar["group"]),
        lambda bar: f"The {bar['group']} answers behind the bar ({months} m)",
        stamp,
        f"rate-{by}",
    )


# The chosen measure first; a measure not loaded says what to load instead of bars of n = 0.
GROUPINGS = {"nps": ("nps_category", charts.NPS_COLOURS, "NPS category"),
             "csat": ("csat_band", charts.CSAT_COLOURS, "CSAT band")}
for shown_measure in sorted(GROUPINGS, key=lambda m: m != measure):
    grouping, colours, grouping_label = GROUPINGS[shown_measure]
    st.subheader(f"By {grouping_label}")
    if filters.loaded(shown_measure):
        outcome_charts(grouping, colours, grouping_label)
    else:
        st.info(metrics.missing_note(shown_measure))

st.subheader(f"How much does one {label} point bring?")
left, right = st.columns(2)
scale = "NPS score (0-10)" if measure == "nps" else "CSAT score (1-5)"
# The amount's line stops where it would fall below 0 (no deal is worth less than nothing).
for place, outcome, tickformat, floor in ((left, "amount", None, 0.0), (right, "margin", ".0%", None)):
    fit = data.query(metrics.score_regression, answered, months, outcome, measure=measure)
    title = f"{metrics.REGRESSION_OUTCOMES[outcome].capitalize()} on {label} score"
    if outcome == "amount":  # every answer whose window is complete is a point of the amount's scatter
        no_window = fit["points"].empty
    if fit["points"].empty:  # an empty scatter is a blank box
        place.info(f"{title}: no {label} answers whose {months}-month window is complete in this period."
                   if no_window else f"{title}: no answer in the period was followed by re-business with a "
                   f"completed project within {months} months.")
        continue
    unit = f" ({currency_unit()})" if outcome == "amount" else ""
    exports.show_chart(
        charts.regression_scatter(
            fit["points"],
            "score",
            outcome,
            fit,
            title,
            scale,
            metrics.REGRESSION_OUTCOMES[outcome] + unit,
            tickformat,
            floor=floor,
        ),
        fit["points"],
        f"{title} ({months} m)",
        stamp,
        place,
        definitions=("score_regression",),
    )
    if fit["slope"] is None:
        place.caption(f"n = {fit['n']:,}: too few answers for a regression.")
    else:
        show = (lambda v: f"{v:+.2%}") if outcome == "margin" else (lambda v: ("+" if v >= 0 else "-") + money(abs(v)))
        place.caption(
            f"Slope {show(fit['slope'])} per score point (95% CI {show(fit['ci_low'])} to {show(fit['ci_high'])}), "
            f"R² = {fit['r2']:.3f}, n = {fit['n']:,} answers."
        )

st.subheader("Win-win matrix")
settings = st.columns(2)
if measure == "nps":
    nps_cut = settings[0].number_input(
        "NPS threshold (customer wins at or above)",
        -100.0,
        100.0,
        metrics.WIN_WIN_NPS_THRESHOLD,
        step=5.0,
        key="nps_cut",
        bind="query-params",
    )
    csat_cut = metrics.WIN_WIN_CSAT_THRESHOLD
    cut = nps_cut
else:  # typed in %, as the matrix's CSAT axis reads
    nps_cut = metrics.WIN_WIN_NPS_THRESHOLD
    csat_cut = settings[0].number_input(
        "CSAT threshold in % (customer wins at or above)",
        0.0,
        100.0,
        100 * metrics.WIN_WIN_CSAT_THRESHOLD,
        step=5.0,
        format="%.0f",
        key="csat_cut_pct",
        bind="query-params",
    ) / 100
    cut = csat_cut
# Typed in %, as the matrix's margin axis reads.
margin_cut = settings[1].number_input(
    "Margin threshold in % (business wins at or above)",
    -100.0,
    100.0,
    100 * metrics.WIN_WIN_MARGIN_THRESHOLD,
    step=1.0,
    format="%.0f",
    key="margin_cut_pct",
    bind="query-params",
) / 100
accounts = data.query(metrics.win_win_accounts, chosen, nps_cut, margin_cut, measure=measure, csat_threshold=csat_cut)
shares = metrics.quadrant_shares(accounts)
matrix, share = st.columns([2, 1])
clicked = exports.show_chart(
    charts.win_win_matrix(accounts, cut, margin_cut, measure),
    accounts,
    "Win-win matrix",
    stamp,
    matrix,
    definitions=("win_win",),
    select_key="win_win_points",
)
if clicked and clicked.selection.points:  # a click on an account opens its page
    point = clicked.selection.points[0]
    filters.open_account(accounts.loc[accounts["account_id"] == point["customdata"][0], "account_name"].iloc[0])
share.caption(
    f"n = {len(accounts):,} accounts with {label} answers and completed projects in the period. "
    "Click an account in the matrix to open it."
)
exports.show_table(shares, "Win-win quadrants", stamp, definitions=("win_win",))

st.subheader("Earned growth")
growth = data.query(metrics.earned_growth, chosen)
# The legend names the measures in words.
MEASURES = {"nrr": "net revenue retention", "earned_growth_rate": "earned growth rate"}
long = growth.rename(columns=MEASURES).melt(
    id_vars=["quarter", "partial"] if "partial" in growth.columns else "quarter",
    value_vars=list(MEASURES.values()),
    var_name="measure",
    value_name="value",
)
no_growth = growth[["nrr", "earned_growth_rate"]].isna().all().all()
if no_growth:  # no line to draw: say why instead of a blank box
    st.info("No quarter in the period has deals won the year before it: earned growth compares a quarter with "
            "the same quarter a year earlier, so it needs a year of won deals first.")
else:
    exports.show_chart(
        charts.group_lines(
            long,
            "quarter",
            "value",
            "measure",
            "Net revenue retention and earned growth rate",
            "share of the year before's won amount",
            {MEASURES["nrr"]: charts.LINE, MEASURES["earned_growth_rate"]: charts.NPS_COLOURS["promoter"]},
            ".0%",
        ),
        growth,
        "Earned growth by quarter",
        stamp,
        definitions=("earned_growth",),
    )
if not no_growth and "partial" in growth.columns and growth["partial"].any():
    st.caption(f"The last quarter is partial: it runs to the data date ({data_date:%d %b %Y}), "
               "against the same dates a year earlier (drawn as an open circle).")
latest = growth.dropna(subset=["nrr"]).tail(1)
if len(latest):
    row = latest.iloc[0]
    st.caption(
        f"{row['quarter']}: NRR {pct(row['nrr'])}, referred new business {money(row['referred_new'])}, "
        f"earned growth rate {pct(row['earned_growth_rate'])} of {money(row['prior_amount'])} won the year before."
    )

exports.definitions(*DEFINED)
