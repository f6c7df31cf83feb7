"""Overview: the few numbers an executive reviews, with trend and the satisfaction -> profit link."""

import streamlit as st

from pipelines import metrics
from pipelines.reporting import board_pack, charts
from ui import data, drill, exports, filters
from pipelines.reporting.formats import pct
from pipelines.reporting.kpis import KPIS
from ui.text import plain

st.title("Overview")
st.caption("Is delivery quality turning into profit on the next deal? Headline KPIs against the previous period.")

chosen, data_date, stamp, previous = filters.page_filters()
measure, label = filters.measure(), filters.measure_label()


def chart_or_why(figure, table, name: str, place, source: str, column: str, nothing: str, **options):
    """Draw a chart whose ``column`` has figures; else say why there are none: its ``source`` is not
    loaded, or ``nothing`` (a sentence starting "No data: ") holds in the period. Never empty bars."""
    if not filters.loaded(source):
        place.info(metrics.missing_note(source))
    elif table[column].isna().all() or ("n" in table and not table["n"].sum()):
        place.info(nothing)
    else:
        return exports.show_chart(figure, table, name, stamp, place, **options)
    return None


now = data.query(metrics.kpis, chosen)
before = data.query(metrics.kpis, previous) if previous else None

# The chain in words comes first on the page, but is filled in after the KPI tiles are drawn: its
# intervals and the tiles' (kpi_changes) import scipy.special and run the chain's queries, while
# the browser still fetches the tiles' frontend code from this process and the tiles themselves
# need neither. The tiles are drawn again once their changes are known.
chain_box = st.container()
st.caption(f"{filters.in_force(chosen, previous)} · data up to {data_date:%d %b %Y}")
tiles = st.empty()
with tiles.container():
    exports.show_kpis(KPIS, now, before)  # the board pack's KPI table, tile for tile
# A tile drawn "—" because its source is not loaded says what to load (never a 0).
for source in ("nps", "csat", "deals", "lead_sources", "escalations"):
    if not filters.loaded(source):
        name = source.upper() if source in metrics.MEASURES else source.replace("_", " ").capitalize()
        st.caption(f"{name}: {metrics.missing_note(source)}.")
with chain_box:  # one sentence a link, each with its effect, interval, n and verdict
    st.subheader("The chain: delivery → satisfaction → re-business → margin")
    for link in data.query(metrics.chain_sentences, chosen, measure=measure):
        st.markdown(f"- {plain(link['sentence'])}")
    st.caption(
        "Each sentence says what came after what and how sure the figures are (the 95% interval of the "
        "difference decides the verdict); it does not say what caused what."
    )
    st.caption(filters.sources_line("deals", "projects", "budgets", "escalations", "nps", "csat"))
changes = data.query(metrics.kpi_changes, chosen) if previous else {}
if changes:
    with tiles.container():
        exports.show_kpis(KPIS, now, before, changes)
quiet = [kpi.label for kpi in KPIS if changes.get(kpi.definition, {}).get("within_noise")]
if quiet:
    st.caption(
        f"{', '.join(quiet)}: the change is within the noise (its 95% interval holds 0), so it is drawn grey."
    )

st.subheader("Does satisfaction bring the next deal?")
answered = metrics.answers_followed_into(chosen, board_pack.LINK_MONTHS)
grouping = metrics.MEASURES[measure]["grouping"]
link = data.query(metrics.rebusiness_by_category, answered, months=board_pack.LINK_MONTHS, measure=measure)
which = (f"given {filters.describe(answered.period)} (so that their next 12 months fall in the period) with those "
         "12 months" if answered.period.start else "with their next 12 months")
clicked = chart_or_why(
    charts.nps_link_bars(link, measure),
    link,
    f"Re-business within 12 months of {'an' if measure == 'nps' else 'a'} {label} answer",
    st,
    measure,
    "rate",
    f"No data: no {label} answers {which} complete by the data date ({data_date:%d %b %Y}), "
    "so none can show yet whether re-business followed.",
    definitions=("nps_rebusiness_link",),
    select_key="link_bars",
)
if filters.loaded(measure) and link["n"].sum():
    drill.rows_behind(
        clicked,
        link,
        lambda bar: data.query(metrics.answers_behind, answered, 12, grouping, bar["category"]),
        lambda bar: f"The {bar['category']} answers behind the bar",
        stamp,
        "link_bars",
    )
    st.caption(
        f"n = {link['n'].sum():,} {label} answers with a complete 12-month window"
        + (
            f", given {filters.describe(answered.period)} so that their next 12 months fall in the period"
            if answered.period.start
            else ""
        )
        + f"; whiskers are 95% Wilson intervals; "
        f"groups under {charts.SMALL_N} answers are greyed. Answers from one account are not independent: "
        "read the intervals as a lower bound on the uncertainty. Click a bar to list its answers."
    )

st.subheader("Delivery → satisfaction")
st.caption(
    f"The {label} answers about projects that finished late or over budget (a project without a budget is judged "
    "on schedule alone), or were escalated, against the others: an answer naming the project, else the account's "
    f"answers from the project's start to {metrics.AFTER_PROJECT_MONTHS} months after its end."
)
DELIVERY_SPLITS = {"delivery": "late or over budget", "escalation": "escalated"}
PER = {"all projects": None, "delivery team": "delivery_team", "delivery manager": "delivery_manager"}
pick = st.columns(2)
by = pick[0].radio("Compare", list(DELIVERY_SPLITS), format_func=DELIVERY_SPLITS.get, horizontal=True,
                   key="delivery_by")
per_label = pick[1].radio("Broken down by", list(PER), horizontal=True, key="delivery_per")
per = PER[per_label]
if not filters.loaded("projects"):
    st.info(metrics.missing_note("projects"))
elif by == "escalation" and not filters.loaded("escalations"):
    st.info(metrics.missing_note("escalations"))
elif not filters.loaded(measure):
    st.info(metrics.missing_note(measure))
elif not (split := data.query(metrics.delivery_to_satisfaction, chosen, measure=measure, by=by, per=per))["n"].sum():
    st.info(f"No data: no {label} answers about projects completed in the period (naming the project, or the "
            f"account's answers from its start to {metrics.AFTER_PROJECT_MONTHS} months after its end).")
else:
    shown = split.assign(bar=split["group"] if per is None else split[per].astype(str) + " · " + split["group"])
    colours = {bar: charts.DELIVERY_COLOURS.get(group, charts.LINE) for bar, group in zip(shown["bar"], shown["group"])}
    scale = (0, 10) if measure == "nps" else (1, 5)
    clicked = exports.show_chart(
        charts.interval_bars(
            shown, "bar", "mean_score", f"Mean {label} score of the answers about those projects",
            f"mean score ({scale[0]}-{scale[1]})", colours, tickformat=".0f", text_format="{:.1f}",  # whole-score ticks
            y_range=(0, scale[1]), horizontal=per is not None,
        ),
        split,
        f"Delivery to satisfaction ({label}, {per_label})",
        stamp,
        select_key="delivery_bars",
    )
    drill.rows_behind(
        clicked,
        shown,
        lambda bar: data.query(metrics.answers_about_projects, chosen, measure, bar["group"], by=by, per=per,
                               who=None if per is None else bar[per]),
        lambda bar: f"The {label} answers about projects {bar['bar']}",
        stamp,
        "delivery_bars",
    )
    low_name = "detractors" if measure == "nps" else "CSAT 1-2"
    shares = "; ".join(
        f"{row.bar}: {pct(row.low_share)} {low_name} (95% CI {pct(row.low_ci_low)}–{pct(row.low_ci_high)}), "
        f"n = {int(row.n):,}"
        for row in shown.itertuples() if row.n
    )
    st.caption(
        plain(shares)
        + f". Whiskers are 95% intervals of the mean; groups under {charts.SMALL_N} answers are greyed. "
        + ("Budgets are not loaded: projects are judged on schedule alone. " if not filters.loaded("budgets") else "")
        + "Click a bar to list its answers."
    )

st.subheader("Monthly trend")
trend = data.query(metrics.monthly_trend, chosen)
left, middle, right = st.columns(3)
nps_chart, won_chart, margin_chart = charts.monthly_trend_lines(trend, measure)
chart_or_why(nps_chart, trend[["month", measure, f"{measure}_ci_low", f"{measure}_ci_high", f"{measure}_answers"]],
             f"Monthly {label}", left, measure, measure, f"No data: no {label} answers in the period.")
if "partial" in trend.columns and trend["partial"].any():
    st.caption(f"The last month is partial: the data ends on {data_date:%d %b %Y} (drawn as an open circle).")
chart_or_why(won_chart, trend[["month", "won_amount", "rebusiness_rate"]], "Monthly won amount", middle, "deals",
             "won_amount", "No data: no deal closed in the period.")
chart_or_why(margin_chart, trend[["month", "delivered_margin"]], "Monthly delivered margin", right, "projects",
             "delivered_margin", "No data: no project was completed in the period.")

st.caption(f"The shaded band is the 95% interval of each month's {label}: months with few answers swing by chance.")

exports.definitions(*(kpi.definition for kpi in KPIS), "nps_rebusiness_link")
exports.board_pack_button(chosen, st.sidebar)  # one click: these filters' KPIs and key charts as a PDF
