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


def rate_bars(frame: pd.DataFrame, category: str, title: str, y_title: str, colours: dict | None = None) -> go.Figure:
    """Bars of a rate per group with 95% interval whiskers and n under each bar."""
    colours = colours or {}
    shown = frame.fillna({"rate": 0})
    bar_colours = [
        MUTED if n < SMALL_N else colours.get(c, LINE) for c, n in zip(shown[category], shown["n"])
    ]
    figure = go.Figure(
        go.Bar(
            x=[f"{c}<br>n = {n:,}" for c, n in zip(shown[category], shown["n"])],
            y=shown["rate"],
            marker_color=bar_colours,
            error_y=dict(
                type="data", symmetric=False,
                array=(shown["ci_high"] - shown["rate"]).fillna(0),
                arrayminus=(shown["rate"] - shown["ci_low"]).fillna(0),
            ),
            text=[f"{r:.0%}" if n else "no data" for r, n in zip(shown["rate"], shown["n"])],
            textposition="inside", insidetextanchor="middle",  # clear of the whisker's top
            hovertemplate="%{x}<br>rate %{y:.1%}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title, yaxis_title=y_title, yaxis_tickformat=".0%", yaxis_range=[0, 1],
        margin=dict(t=60, b=40, l=40, r=20), height=380,
    )
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
