"""Charts with the same colours and honesty rules on every page: n and 95% intervals shown."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

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


def rate_bars(frame: pd.DataFrame, category: str, title: str, y_title: str, colours: dict | None = None) -> go.Figure:
    """Bars of a rate per group with 95% interval whiskers and n under each bar."""
    return interval_bars(frame, category, "rate", title, y_title, colours)


def interval_bars(frame: pd.DataFrame, category: str, value: str, title: str, y_title: str, colours: dict | None = None,
                  low: str = "ci_low", high: str = "ci_high", n: str = "n", tickformat: str = ".0%",
                  text_format: str = "{:.0%}", y_range: list | None = (0, 1)) -> go.Figure:
    """Bars of ``value`` per group with its 95% interval as whiskers and n under each bar;
    groups under SMALL_N are greyed, not hidden."""
    colours = colours or {}
    shown = frame.fillna({value: 0})
    counts = shown[n].fillna(0).astype(int)
    bar_colours = [MUTED if k < SMALL_N else colours.get(c, LINE) for c, k in zip(shown[category], counts)]
    figure = go.Figure(
        go.Bar(
            x=[f"{c}<br>n = {k:,}" for c, k in zip(shown[category], counts)],
            y=shown[value],
            marker_color=bar_colours,
            error_y=dict(
                type="data", symmetric=False,
                array=(shown[high] - shown[value]).fillna(0).clip(lower=0),
                arrayminus=(shown[value] - shown[low]).fillna(0).clip(lower=0),
            ),
            text=[text_format.format(v) if k else "no data" for v, k in zip(shown[value], counts)],
            textposition="inside", insidetextanchor="middle",  # clear of the whisker's top
            hovertemplate="%{x}<br>%{y}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title, yaxis_title=y_title, yaxis_tickformat=tickformat,
        margin=dict(t=60, b=40, l=40, r=20), height=380,
    )
    if y_range:
        figure.update_layout(yaxis_range=list(y_range))
    return figure


def monthly_lines(trend: pd.DataFrame, column: str, title: str, y_title: str, tickformat: str | None = None,
                  band: tuple[str, str] | None = None) -> go.Figure:
    """A monthly line; ``band`` names the low/high columns of its 95% interval, drawn shaded."""
    figure = go.Figure()
    if band:
        low, high = band
        figure.add_trace(go.Scatter(x=trend["month"], y=trend[high], mode="lines", line_width=0, hoverinfo="skip", showlegend=False))
        figure.add_trace(go.Scatter(x=trend["month"], y=trend[low], mode="lines", line_width=0, fill="tonexty",
                                    fillcolor="rgba(21, 101, 192, 0.15)", name="95% interval", hoverinfo="skip", showlegend=False))
    figure.add_trace(go.Scatter(x=trend["month"], y=trend[column], mode="lines+markers", connectgaps=False,
                                line_color=LINE, showlegend=False, name=title))
    figure.update_layout(title=title, yaxis_title=y_title, margin=dict(t=50, b=30, l=40, r=20), height=260)
    if tickformat:
        figure.update_yaxes(tickformat=tickformat)
    return figure


# The win-win matrix's quadrants: green and red as for promoters and detractors; the two
# one-sided wins in the line blue (customer) and amber (business).
QUADRANT_COLOURS = {"win-win": NPS_COLOURS["promoter"], "customer wins only": LINE,
                    "business wins only": "#ef6c00", "lose-lose": NPS_COLOURS["detractor"]}
# Delivery-sourced deals against the rest, on every page that compares them.
SOURCE_COLOURS = {"delivery": LINE, "other sources": NPS_COLOURS["passive"]}


def regression_scatter(points: pd.DataFrame, x: str, y: str, fit: dict, title: str, x_title: str, y_title: str,
                       tickformat: str | None = None) -> go.Figure:
    """The points behind a regression (coloured by NPS category; a fixed sample of
    MAX_POINTS_DRAWN when there are more, said in the title) and its line fitted on all of them."""
    figure = go.Figure()
    drawn = points.sample(n=MAX_POINTS_DRAWN, random_state=0) if len(points) > MAX_POINTS_DRAWN else points
    subtitle = f"{len(drawn):,} of {len(points):,} answers drawn (a fixed sample); the line is fitted on all" \
        if len(drawn) < len(points) else None
    for category, colour in NPS_COLOURS.items():
        chosen = drawn[drawn.get("nps_category", pd.Series(index=drawn.index)) == category]
        figure.add_trace(go.Scatter(x=chosen[x], y=chosen[y], mode="markers", name=category,
                                    marker=dict(color=colour, opacity=0.35, size=6)))
    if fit.get("slope") is not None:
        xs = pd.Series([points[x].min(), points[x].max()])
        figure.add_trace(go.Scatter(x=xs, y=fit["intercept"] + fit["slope"] * xs, mode="lines", name="fit",
                                    line=dict(color="#212121", width=2)))
    figure.update_layout(title=dict(text=title, subtitle=dict(text=subtitle)), xaxis_title=x_title, yaxis_title=y_title,
                         height=380, margin=dict(t=70, b=40, l=40, r=20))
    if tickformat:
        figure.update_yaxes(tickformat=tickformat)
    return figure


def win_win_matrix(accounts: pd.DataFrame, nps_threshold: float, margin_threshold: float) -> go.Figure:
    """Accounts by NPS (customer wins) and delivered margin (business wins), sized by revenue,
    with the quadrant thresholds drawn; past MAX_POINTS_DRAWN accounts, the largest by revenue
    (said in the subtitle: the quadrant shares beside it count them all)."""
    figure = go.Figure()
    everyone = len(accounts)
    accounts = accounts.nlargest(MAX_POINTS_DRAWN, "revenue") if everyone > MAX_POINTS_DRAWN else accounts
    subtitle = f"the {len(accounts):,} largest of {everyone:,} accounts by revenue drawn" if len(accounts) < everyone else None
    largest = accounts["revenue"].max() if len(accounts) else 1
    for quadrant, colour in QUADRANT_COLOURS.items():
        chosen = accounts[accounts["quadrant"] == quadrant]
        figure.add_trace(go.Scatter(
            x=chosen["nps"], y=chosen["margin"], mode="markers", name=quadrant, text=chosen["account_name"],
            customdata=chosen[["account_id"]], marker=dict(color=colour, size=8 + 30 * (chosen["revenue"] / largest) ** 0.5, opacity=0.7),
            hovertemplate="%{text}<br>NPS %{x:.0f} · margin %{y:.1%}<extra></extra>"))
    figure.add_vline(x=nps_threshold, line_dash="dash", line_color=MUTED)
    figure.add_hline(y=margin_threshold, line_dash="dash", line_color=MUTED)
    figure.update_layout(title=dict(text="Win-win matrix: NPS × margin (size = revenue)",
                                    subtitle=dict(text=subtitle)),
                         xaxis_title="account NPS in the period (−100..100)", yaxis_title="delivered margin",
                         yaxis_tickformat=".0%", height=440, margin=dict(t=70, b=40, l=40, r=20))
    return figure


def group_lines(frame: pd.DataFrame, x: str, y: str, group: str, title: str, y_title: str, colours: dict,
                tickformat: str | None = None, low: str | None = None, high: str | None = None) -> go.Figure:
    """One line per group over ``x`` (quarters), with 95% whiskers when ``low``/``high`` are given."""
    figure = go.Figure()
    for name, chosen in frame.groupby(group, sort=False):
        error = None
        if low and high:
            error = dict(type="data", symmetric=False, array=(chosen[high] - chosen[y]).fillna(0),
                         arrayminus=(chosen[y] - chosen[low]).fillna(0), color=colours.get(name, LINE), thickness=1)
        figure.add_trace(go.Scatter(x=chosen[x], y=chosen[y], mode="lines+markers", name=str(name),
                                    line_color=colours.get(name, LINE), error_y=error))
    figure.update_layout(title=title, yaxis_title=y_title, height=320, margin=dict(t=50, b=30, l=40, r=20))
    if tickformat:
        figure.update_yaxes(tickformat=tickformat)
    return figure


def component_bars(components: dict[str, float], title: str, at_risk_below: float) -> go.Figure:
    """An account's health components (0-100) as horizontal bars; those at risk in red."""
    names = list(components)
    values = [components[n] for n in names]
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", text=[f"{v:.0f}" for v in values],
                              marker_color=[NPS_COLOURS["detractor"] if v < at_risk_below else LINE for v in values]))
    figure.update_layout(title=title, xaxis_range=[0, 100], xaxis_title="component score (0-100)", height=260,
                         margin=dict(t=50, b=30, l=100, r=20))
    return figure


# --- The key charts: drawn the same on their page and in the board pack (pipelines/report.py) ----

INVOLVEMENT_COLOURS = {"sales involved": NPS_COLOURS["promoter"], "no sales": NPS_COLOURS["passive"]}
BUSINESS_COLOURS = {"re-business": NPS_COLOURS["promoter"], "first-time business": NPS_COLOURS["passive"]}


def nps_link_bars(link: pd.DataFrame) -> go.Figure:
    """The Overview's headline: re-business within 12 months of an NPS answer, by category."""
    return rate_bars(link, "category", "Re-business within 12 months of an NPS answer", "answers followed by re-business", NPS_COLOURS)


def monthly_trend_lines(trend: pd.DataFrame) -> list[go.Figure]:
    """The Overview's monthly trend: NPS with its 95% band, won amount, delivered margin."""
    return [monthly_lines(trend, "nps", "NPS", "NPS (−100..100)", band=("nps_ci_low", "nps_ci_high")),
            monthly_lines(trend, "won_amount", "Won amount", "won per month (CRM currency)"),
            monthly_lines(trend, "delivered_margin", "Delivered margin", "margin of completed projects", ".0%")]


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
    return interval_bars(split, "business", "mean_project_margin", "Delivered margin per project", "mean project margin",
                         BUSINESS_COLOURS, n="projects", text_format="{:.1%}", y_range=None)
