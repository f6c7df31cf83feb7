"""Charts with the same colours and honesty rules on every page: n and 95% intervals shown."""

from __future__ import annotations

import math
from html import escape
from textwrap import wrap
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from pipelines.reporting.formats import currency_unit, money

# Colours mean the same on every page.
NPS_COLOURS = {"promoter": "#2e7d32", "passive": "#9e9e9e", "detractor": "#c62828"}
MUTED = "#d0d0d0"
# Lines that are not a category: one blue everywhere (red and green mean detractor and promoter).
LINE = "#1565c0"
# Groups smaller than this are drawn greyed: their interval is too wide to read much into.
SMALL_N = 30
# A scatter draws at most this many points (a fixed sample): a browser takes minutes over 100,000
# SVG markers, and on a 0-10 score axis more points only overlap. Fits use every point.
MAX_POINTS_DRAWN = 2_000
# A bar chart shows at most this many groups (the largest first); its table lists them all.
MAX_BARS = 30


# A category label longer than this, or more groups than LONG_GROUPS, puts the bars on their side:
# names of reps, teams and accounts then read left to right instead of rotated or cut.
LONG_LABEL = 20
LONG_GROUPS = 5
# Characters per line of a category name under an upright bar.
WRAP_CHARS = 9
# Height of one horizontal bar and the room a chart keeps for its title and axis.
BAR_PX, CHART_FRAME_PX = 30, 130
# Share of the value axis added beyond the longest whisker, for the value labels drawn there.
LABEL_ROOM = 0.18
# Gap between a whisker's end and its value label, as a share of the value axis.
LABEL_GAP = 0.015
# Value axes of money and counts: plotly's SI prefixes, the k/M style of formats.short ("1.5M").
SHORT_TICKS = "~s"


# Tick steps a reader counts in (times a power of ten): whole scores, 20%, 50 NPS points.
NICE_STEPS = (1, 2, 2.5, 5, 10)
MAX_TICK_STEPS = 6


def tick_step(low: float, high: float) -> float:
    """The step that puts ticks on round values at both ends of a scale in at most MAX_TICK_STEPS
    steps: a 0-5 mean score in whole scores (never 1.25), 0-100% in 20%, NPS -100..100 in 50."""
    span = high - low
    scale = 10 ** math.floor(math.log10(span / MAX_TICK_STEPS))
    for step in (nice * scale for nice in NICE_STEPS):
        steps = span / step
        if steps <= MAX_TICK_STEPS + 1e-9 and abs(steps - round(steps)) < 1e-9:
            return step
    return span / 4


def finish(figure: go.Figure) -> go.Figure:
    """What every chart shares: tick labels never rotated (long categories go on a horizontal
    axis instead), the same font and hover style."""
    figure.update_xaxes(tickangle=0, automargin=True)
    figure.update_yaxes(tickangle=0, automargin=True)
    figure.update_layout(hoverlabel=dict(namelength=-1))
    return figure


def is_long(categories) -> bool:
    """Whether these category labels read better on a horizontal bar chart (LONG_LABEL, LONG_GROUPS)."""
    names = [str(c) for c in categories]
    return len(names) > LONG_GROUPS or any(len(name) > LONG_LABEL for name in names)


def rate_bars(frame: pd.DataFrame, category: str, title: str, y_title: str, colours: dict | None = None) -> go.Figure:
    """Bars of a rate per group with 95% interval whiskers and n under each bar."""
    return interval_bars(frame, category, "rate", title, y_title, colours)


def _as_text(text_format: str | Callable[[float], str], value: float) -> str:
    return text_format(value) if callable(text_format) else text_format.format(value)


# How a satisfaction value reads on an axis: NPS is -100..100, CSAT a share of 4-5 answers.
SATISFACTION_AXES = {
    "nps": {"y_title": "NPS (−100..100)", "tickformat": ".0f", "text_format": "{:.0f}", "y_range": (-100, 100)},
    "csat": {"y_title": "CSAT (share of 4-5 answers)", "tickformat": ".0%", "text_format": "{:.0%}", "y_range": (0, 1)},
}


def interval_bars(frame: pd.DataFrame, category: str, value: str, title: str, y_title: str, colours: dict | None = None,
                  low: str = "ci_low", high: str = "ci_high", n: str = "n", tickformat: str = ".0%",
                  text_format: str | Callable[[float], str] = "{:.0%}", y_range: tuple | None = (0, 1),
                  horizontal: bool | None = None) -> go.Figure:
    """Bars of ``value`` per group with its 95% interval as whiskers and n beside each group;
    groups under SMALL_N are greyed, not hidden.

    Each value is written just beyond its whisker's end, so no whisker crosses a label; long
    category names (``is_long``) put the bars on their side. The value axis starts at 0 (rates
    from 0 to 1 when ``y_range`` says so) and leaves room for the labels.
    """
    colours = colours or {}
    counts = frame[n].fillna(0).astype(int)
    values = frame[value].astype(float)
    horizontal = is_long(frame[category]) if horizontal is None else horizontal
    joiner = "  ·  n = " if horizontal else "<br>n = "
    # Names come from the exports: escaped, so a name with "<a href" is text, not a link plotly draws.
    # Under upright bars a name of several words takes several short lines, so that neighbours in
    # a narrow column do not run into each other.
    names = [escape(str(c)) if horizontal
             else "<br>".join(wrap(escape(str(c)), WRAP_CHARS, break_long_words=False, break_on_hyphens=False))
             for c in frame[category]]
    labels = [f"{name}{joiner}{k:,}" for name, k in zip(names, counts)]
    bar_colours = [MUTED if k < SMALL_N else colours.get(c, LINE) for c, k in zip(frame[category], counts)]
    upper = frame[high].astype(float).fillna(values).clip(lower=values.fillna(0))
    lower = frame[low].astype(float).fillna(values).clip(upper=values.fillna(0))
    # The whisker's far end from 0: the label goes just past it (LABEL_GAP of the axis further).
    tips = upper.where(values.fillna(0) >= 0, lower).fillna(0)
    sign = values.fillna(0).ge(0).map({True: 1, False: -1})
    texts = [_as_text(text_format, v) if k and pd.notna(v) else "no data" for v, k in zip(values, counts)]
    error = dict(type="data", symmetric=False, array=(upper - values).fillna(0), arrayminus=(values - lower).fillna(0))
    plotted = values.fillna(0)
    reach = list(y_range) if y_range else [min(0.0, float(lower.min(skipna=True) or 0)),
                                           max(0.0, float(upper.max(skipna=True) or 0))]
    span = (reach[1] - reach[0]) or 1.0
    reach = [reach[0] - (LABEL_ROOM * span if reach[0] < 0 else 0), reach[1] + LABEL_ROOM * span]
    at = tips + LABEL_GAP * span * sign
    if horizontal:
        bar = go.Bar(x=plotted, y=labels, orientation="h", marker_color=bar_colours, error_x=error,
                     hovertemplate="%{y}<br>%{x}<extra></extra>")
        text = go.Scatter(x=at, y=labels, mode="text", text=texts, cliponaxis=False, hoverinfo="skip",
                          showlegend=False,
                          textposition=["middle right" if v >= 0 else "middle left" for v in values.fillna(0)])
    else:
        bar = go.Bar(x=labels, y=plotted, marker_color=bar_colours, error_y=error,
                     hovertemplate="%{x}<br>%{y}<extra></extra>")
        text = go.Scatter(x=labels, y=at, mode="text", text=texts, cliponaxis=False, hoverinfo="skip",
                          showlegend=False,
                          textposition=["top center" if v >= 0 else "bottom center" for v in values.fillna(0)])
    figure = go.Figure([bar, text])
    value_axis = dict(title=y_title, tickformat=tickformat, range=reach, zeroline=True)
    if y_range:  # ticks only over the scale itself (0-100%, -100..100), not over the room for labels
        value_axis.update(tick0=y_range[0], dtick=tick_step(*y_range))
    if horizontal:
        figure.update_layout(xaxis=value_axis, yaxis=dict(autorange="reversed"),  # the first group on top
                             height=max(260, CHART_FRAME_PX + BAR_PX * len(frame)))
    else:
        figure.update_layout(yaxis=value_axis, height=380)
    figure.update_layout(title=title, showlegend=False, margin=dict(t=60, b=40, l=40, r=20))
    return finish(figure)


def monthly_lines(trend: pd.DataFrame, column: str, title: str, y_title: str, tickformat: str | None = None,
                  band: tuple[str, str] | None = None, from_zero: bool = False) -> go.Figure:
    """A monthly line; ``band`` names the low/high columns of its 95% interval, drawn shaded;
    ``from_zero``: a rate or an amount, whose axis starts at 0."""
    figure = go.Figure()
    if band:
        low, high = band
        figure.add_trace(go.Scatter(x=trend["month"], y=trend[high], mode="lines", line_width=0, hoverinfo="skip",
                                    showlegend=False))
        figure.add_trace(go.Scatter(x=trend["month"], y=trend[low], mode="lines", line_width=0, fill="tonexty",
                                    fillcolor="rgba(21, 101, 192, 0.15)", name="95% interval", hoverinfo="skip",
                                    showlegend=False))
    figure.add_trace(go.Scatter(x=trend["month"], y=trend[column], mode="lines+markers", connectgaps=False,
                                line_color=LINE, showlegend=False, name=title))
    _mark_partial(figure, trend, "month", column)
    figure.update_layout(title=title, yaxis_title=y_title, margin=dict(t=50, b=30, l=40, r=20), height=260)
    figure.update_xaxes(nticks=6, tickformat="%b<br>%Y")  # month over year: narrow charts keep labels apart
    if tickformat:
        figure.update_yaxes(tickformat=tickformat)
    if from_zero:
        figure.update_yaxes(rangemode="tozero")
    return finish(figure)


def _mark_partial(figure: go.Figure, frame: pd.DataFrame, x: str, y: str, legend: bool = False) -> None:
    """A month or quarter cut short by the data date (metrics' ``partial`` column) drawn as an
    open circle labelled "partial", so it is not read as a whole one."""
    if "partial" not in frame.columns:
        return
    cut = frame[frame["partial"].fillna(False).astype(bool)]
    if cut.empty:
        return
    figure.add_trace(go.Scatter(x=cut[x], y=cut[y], mode="markers+text", text=["partial"] * len(cut),
                                textposition="top center", marker=dict(symbol="circle-open", size=12, color=MUTED),
                                showlegend=legend, name="partial (to the data date)", hoverinfo="skip"))


# The win-win matrix's quadrants: green and red as for promoters and detractors; the two
# one-sided wins in the line blue (customer) and amber (business).
QUADRANT_COLOURS = {"win-win": NPS_COLOURS["promoter"], "customer wins only": LINE,
                    "business wins only": "#ef6c00", "lose-lose": NPS_COLOURS["detractor"]}
# Delivery-sourced deals against the rest, on every page that compares them.
SOURCE_COLOURS = {"delivery": LINE, "other sources": NPS_COLOURS["passive"]}


def fitted_range(low: float, high: float, intercept: float, slope: float,
                 floor: float | None) -> tuple[float, float] | None:
    """The stretch of x in [low, high] where the fitted line means something: where it stays at
    or above ``floor`` (an amount is never below 0). None when no stretch is left."""
    if floor is not None and slope:
        crossing = (floor - intercept) / slope
        low, high = (max(low, crossing), high) if slope > 0 else (low, min(high, crossing))
    elif floor is not None and intercept < floor:
        return None
    return (low, high) if low < high else None


def regression_scatter(points: pd.DataFrame, x: str, y: str, fit: dict, title: str, x_title: str, y_title: str,
                       tickformat: str | None = None, floor: float | None = None) -> go.Figure:
    """The points behind a regression (coloured by NPS category or CSAT band; a fixed sample of
    MAX_POINTS_DRAWN when there are more, said in the title) and its line fitted on all of them,
    drawn only over the scores answered and, given ``floor``, only where it stays above it."""
    figure = go.Figure()
    drawn = points.sample(n=MAX_POINTS_DRAWN, random_state=0) if len(points) > MAX_POINTS_DRAWN else points
    subtitle = (f"{len(drawn):,} of {len(points):,} answers drawn (a fixed sample); the line is fitted on all"
                if len(drawn) < len(points) else None)
    grouping, colours = ("csat_band", CSAT_COLOURS) if "csat_band" in drawn.columns else ("nps_category", NPS_COLOURS)
    for category, colour in colours.items():
        chosen = drawn[drawn.get(grouping, pd.Series(index=drawn.index)) == category]
        figure.add_trace(go.Scatter(x=chosen[x], y=chosen[y], mode="markers", name=category,
                                    marker=dict(color=colour, opacity=0.35, size=6)))
    stretch = None
    if fit.get("slope") is not None and len(points):
        stretch = fitted_range(points[x].min(), points[x].max(), fit["intercept"], fit["slope"], floor)
    if stretch:
        xs = pd.Series(stretch)
        figure.add_trace(go.Scatter(x=xs, y=fit["intercept"] + fit["slope"] * xs, mode="lines", name="fitted line",
                                    line=dict(color="#212121", width=2)))
    figure.update_layout(title=dict(text=title, subtitle=dict(text=subtitle)), xaxis_title=x_title,
                         yaxis_title=y_title, height=380, margin=dict(t=70, b=40, l=40, r=20))
    figure.update_yaxes(tickformat=tickformat or SHORT_TICKS)
    if floor is not None:
        figure.update_yaxes(rangemode="tozero")
    return finish(figure)


def win_win_matrix(accounts: pd.DataFrame, nps_threshold: float, margin_threshold: float,
                   measure: str = "nps") -> go.Figure:
    """Accounts by NPS (customer wins) and delivered margin (business wins), sized by revenue,
    with the quadrant thresholds drawn; past MAX_POINTS_DRAWN accounts, the largest by revenue
    (said in the subtitle: the quadrant shares beside it count them all)."""
    figure = go.Figure()
    everyone = len(accounts)
    accounts = accounts.nlargest(MAX_POINTS_DRAWN, "revenue") if everyone > MAX_POINTS_DRAWN else accounts
    subtitle = (f"the {len(accounts):,} largest of {everyone:,} accounts by revenue drawn"
                if len(accounts) < everyone else None)
    largest = accounts["revenue"].max() if len(accounts) else 1
    for quadrant, colour in QUADRANT_COLOURS.items():
        chosen = accounts[accounts["quadrant"] == quadrant]
        figure.add_trace(go.Scatter(
            x=chosen[measure], y=chosen["margin"], mode="markers", name=quadrant,
            text=[escape(str(name)) for name in chosen["account_name"]],
            customdata=chosen[["account_id"]],
            marker=dict(color=colour, size=8 + 30 * (chosen["revenue"] / largest) ** 0.5, opacity=0.7),
            hovertemplate="%{text}<br>" + ("NPS %{x:.0f}" if measure == "nps" else "CSAT %{x:.0%}")
            + " · margin %{y:.1%}<extra></extra>"))
    figure.add_vline(x=nps_threshold, line_dash="dash", line_color=MUTED)
    figure.add_hline(y=margin_threshold, line_dash="dash", line_color=MUTED)
    label = "NPS" if measure == "nps" else "CSAT"
    figure.update_layout(title=dict(text=f"Win-win matrix: {label} × margin (size = revenue)",
                                    subtitle=dict(text=subtitle)),
                         xaxis_title=("account NPS in the period (−100..100)" if measure == "nps"
                                      else "account CSAT in the period (share of 4-5 answers)"),
                         xaxis_tickformat=None if measure == "nps" else ".0%", yaxis_title="delivered margin",
                         yaxis_tickformat=".0%", height=440, margin=dict(t=70, b=40, l=40, r=20))
    return finish(figure)


def group_lines(frame: pd.DataFrame, x: str, y: str, group: str, title: str, y_title: str, colours: dict,
                tickformat: str | None = None, low: str | None = None, high: str | None = None,
                from_zero: bool = True) -> go.Figure:
    """One line per group over ``x`` (quarters), with 95% whiskers when ``low``/``high`` are
    given; the groups' values are the legend's names, so they should read as words."""
    figure = go.Figure()
    for name, chosen in frame.groupby(group, sort=False):
        error = None
        if low and high:
            error = dict(type="data", symmetric=False, array=(chosen[high] - chosen[y]).fillna(0),
                         arrayminus=(chosen[y] - chosen[low]).fillna(0), color=colours.get(name, LINE), thickness=1)
        figure.add_trace(go.Scatter(x=chosen[x], y=chosen[y], mode="lines+markers", name=str(name),
                                    line_color=colours.get(name, LINE), error_y=error))
        _mark_partial(figure, chosen, x, y, legend=False)
    figure.update_layout(title=title, yaxis_title=y_title, height=320, margin=dict(t=50, b=30, l=40, r=20),
                         legend=dict(orientation="h", y=-0.2))
    figure.update_xaxes(nticks=8, categoryorder="category ascending")  # quarters in order, whatever group has one first
    figure.update_yaxes(tickformat=tickformat or SHORT_TICKS)
    if from_zero:
        figure.update_yaxes(rangemode="tozero")
    return finish(figure)


def component_bars(components: dict[str, float], title: str, at_risk_below: float) -> go.Figure:
    """An account's health components (0-100) as horizontal bars; those at risk in red, each
    value written outside its bar."""
    names = list(components)
    values = [components[n] for n in names]
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", textposition="outside", cliponaxis=False,
                              text=["no data" if pd.isna(v) else f"{v:.0f}" for v in values],
                              marker_color=[NPS_COLOURS["detractor"] if v < at_risk_below else LINE for v in values]))
    figure.update_layout(title=title, xaxis_range=[0, 110], xaxis_title="component score (0-100)", height=260,
                         yaxis=dict(autorange="reversed"), margin=dict(t=50, b=30, l=100, r=20))
    return finish(figure)


# --- The key charts: drawn the same on their page and in the board pack (reporting/board_pack.py) ----

INVOLVEMENT_COLOURS = {"sales involved": NPS_COLOURS["promoter"], "no sales": NPS_COLOURS["passive"]}
BUSINESS_COLOURS = {"re-business": NPS_COLOURS["promoter"], "first-time business": NPS_COLOURS["passive"]}


# CSAT's bands in the colours of the NPS categories they read like.
CSAT_COLOURS = {"satisfied (4-5)": NPS_COLOURS["promoter"], "neutral (3)": NPS_COLOURS["passive"],
                "dissatisfied (1-2)": NPS_COLOURS["detractor"]}
MEASURE_COLOURS = {"nps": NPS_COLOURS, "csat": CSAT_COLOURS}
# Delivery -> satisfaction: the late or over-budget group red, the on-time one green.
DELIVERY_COLOURS = {"late or over budget": NPS_COLOURS["detractor"], "escalated": NPS_COLOURS["detractor"],
                    "on time and on budget": NPS_COLOURS["promoter"], "not escalated": NPS_COLOURS["promoter"]}


def nps_link_bars(link: pd.DataFrame, measure: str = "nps") -> go.Figure:
    """The Overview's headline: re-business within 12 months of an answer, by NPS category or CSAT band."""
    label = "an NPS answer" if measure == "nps" else "a CSAT answer"
    return rate_bars(link, "category", f"Re-business within 12 months of {label}",
                     "answers followed by re-business", MEASURE_COLOURS[measure])


def monthly_trend_lines(trend: pd.DataFrame, measure: str = "nps") -> list[go.Figure]:
    """The Overview's monthly trend: NPS (or CSAT) with its 95% band, won amount, delivered margin."""
    satisfaction = (monthly_lines(trend, "nps", "NPS", "NPS (−100..100)", band=("nps_ci_low", "nps_ci_high"))
                    if measure == "nps" else
                    monthly_lines(trend, "csat", "CSAT", "share of 4-5 answers", ".0%",
                                  band=("csat_ci_low", "csat_ci_high")))
    return [satisfaction,
            monthly_lines(trend, "won_amount", "Won amount", f"won per month ({currency_unit()})", SHORT_TICKS,
                          from_zero=True),
            monthly_lines(trend, "delivered_margin", "Delivered margin", "margin of completed projects", ".0%",
                          from_zero=True)]


def source_win_rate_bars(sources: pd.DataFrame) -> go.Figure:
    """Delivery-sourced deals' win rate against the other sources'."""
    return interval_bars(sources, "source", "win_rate", "Win rate: delivery against other sources", "won / closed",
                         SOURCE_COLOURS, n="closed")


def with_involvement(after: pd.DataFrame) -> pd.DataFrame:
    """metrics.escalation_aftermath with its groups named as the charts label them."""
    return after.assign(involvement=after["sales_involved"].map({True: "sales involved", False: "no sales"}))


def aftermath_rebusiness_bars(after: pd.DataFrame) -> go.Figure:
    """Re-business within 12 months of an escalation, with and without sales involved (``with_involvement``)."""
    return interval_bars(after, "involvement", "rebusiness_rate", "Re-business within 12 months of the escalation",
                         "escalations followed by re-business", INVOLVEMENT_COLOURS, n="complete")


def business_margin_bars(split: pd.DataFrame) -> go.Figure:
    """Mean delivered margin per project, re-business against first-time business."""
    return interval_bars(split, "business", "mean_project_margin", "Delivered margin per project",
                         "mean project margin", BUSINESS_COLOURS, n="projects", text_format="{:.1%}", y_range=None)


def money_bars(frame: pd.DataFrame, category: str, value: str, title: str, what: str, colours: dict | None = None,
               **interval) -> go.Figure:
    """``interval_bars`` of an amount: k/M ticks and labels, the currency in the axis title."""
    return interval_bars(frame, category, value, title, f"{what} ({currency_unit()})", colours,
                         tickformat=SHORT_TICKS, text_format=money, y_range=None, **interval)
