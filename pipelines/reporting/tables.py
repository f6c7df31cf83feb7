"""A table as people read it: human column names, formatted cells, one "low–high" interval column.

Metrics return tables with their SQL names and raw numbers (``won_amount`` 1471000.0,
``win_rate`` 0.4516, ``variance_ci_low``), which is what an export should hold. ``readable``
turns one into what a page shows: every column named in words, money in the one short style
with its currency, rates as percentages, dates as dates, missing values as "—", and each 95%
interval pair folded into one "low–high" column next to its figure. Counts stay numbers, so a
table still sorts by them. Every page's tables go through here (``ui.exports.show_table``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from pipelines.reporting.formats import MISSING, currency_unit, money, number, pct

# Column names as a reader says them. A name not listed here is still shown in words (the
# underscores become spaces, "12m" becomes "12 months"), so no table shows snake_case.
LABELS = {
    "account_name": "Account", "account_id": "Account id", "owner": "Account owner", "segment": "Segment",
    "region": "Region", "sales_rep": "Sales rep", "sales_team": "Sales team", "person": "Referred by",
    "team": "Delivery team", "delivery_team": "Delivery team", "delivery_manager": "Delivery manager",
    "business": "Business", "source": "Lead source", "lead_source": "Lead source", "referred_by": "Referred by",
    "quadrant": "Quadrant", "group": "Group", "category": "Category", "severity": "Severity",
    "quarter": "Quarter", "month": "Month", "day": "Date", "kind": "Event", "what": "What", "ref": "Reference",
    "n": "n", "deals": "Deals", "closed": "Closed deals", "won": "Won deals", "won_deals": "Won deals",
    "projects": "Projects", "answers": "NPS answers", "accounts": "Accounts", "escalations": "Escalations",
    "with_sales": "With sales involved", "still_open": "Still open", "complete": "With 12 months complete",
    "rebought": "Followed by re-business", "delivered_deals": "Deals with delivered projects",
    "answers_after": "NPS answers after", "promoters_after": "Promoters after", "detractors_after": "Detractors after",
    "next_answers": "Next NPS answers", "next_promoters": "Next promoters", "next_detractors": "Next detractors",
    "n_margin": "With delivered margin", "n_budget": "With a budget", "answers_12m": "NPS answers (12 months)",
    "won_amount": "Won amount", "net_sales": "Net sales", "revenue": "Revenue", "amount": "Amount",
    "prior_amount": "Won the year before", "retained_amount": "Won again from the same accounts",
    "referred_new": "Referred new business", "amount_within_12m": "Won within 12 months",
    "win_rate": "Win rate", "rate": "Re-business rate", "rebusiness_rate": "Re-business rate",
    "margin": "Delivered margin", "delivered_margin": "Delivered margin", "mean_project_margin": "Mean project margin",
    "margin_12m": "Margin (12 months)", "budget_variance": "Budget variance", "sales_share": "Share with sales",
    "revenue_share": "Share of revenue", "nrr": "Net revenue retention", "earned_growth_rate": "Earned growth rate",
    "nps": "NPS", "nps_12m": "NPS (12 months)", "nps_recent": "NPS (last 6 months)", "nps_before": "NPS (6 before)",
    "nps_after": "NPS after", "next_nps": "Next NPS", "score": "Score", "health": "Health",
    "trend_arrow": "NPS trend", "pulled_down_by": "Pulled down by", "at_risk_reasons": "At-risk reasons",
    "open_escalations": "Open escalations", "recent_escalations": "Recent escalations",
    "days_since_activity": "Days since activity", "slip_days": "Mean slip (days)",
    "schedule_slip_days": "Schedule slip (days)", "median_cycle_days": "Median cycle (days)",
    "cycle_days": "Cycle (days)", "median_hours_to_resolve": "Median hours to resolve",
    "hours_to_resolve": "Hours to resolve", "per_active_project": "Per active project",
    "response_id": "Answer", "opportunity_id": "Deal", "project_id": "Project", "escalation_id": "Escalation",
    "answer_date": "Answered", "close_date": "Close date", "actual_end_date": "Ended", "opened_at": "Opened",
    "resolved_at": "Resolved", "stage": "Stage", "is_won": "Won", "sales_involved": "Sales involved",
    "status_reports": "Status reports", "joint_engagements": "Joint engagements",
    "meetings_with_delivery": "Meetings with delivery", "escalations_with_sales": "Escalations with sales",
    "promoters": "Promoters", "detractors": "Detractors", "nps_answers": "NPS answers",
}
# Money columns (shown short, with the currency), rate columns (percentages), signed rates.
MONEY = {"won_amount", "net_sales", "revenue", "amount", "prior_amount", "retained_amount", "referred_new",
         "amount_within_12m"}
RATES = {"win_rate", "rate", "rebusiness_rate", "margin", "delivered_margin", "mean_project_margin", "margin_12m",
         "sales_share", "revenue_share", "nrr", "earned_growth_rate", "csat_pct", "csat_after"}
SIGNED_RATES = {"budget_variance"}
# Figures read to one decimal (hours, mean days, per-project rates); the rest of the decimals are noise.
ONE_DECIMAL = {"median_hours_to_resolve", "hours_to_resolve", "slip_days"}
TWO_DECIMALS = {"per_active_project"}
# Scores kept as whole numbers, so a page can draw them as bars in the cell (health 0-100).
WHOLE_NUMBERS = {"health"}
# The interval columns of a figure whose low/high are not named "<figure>_ci_low/_ci_high".
INTERVAL_OF = {"variance": "budget_variance", "slip": "slip_days", "sales": "sales_share"}
# The figure a bare "ci_low"/"ci_high" pair belongs to: the first of these the table has.
PLAIN_INTERVAL_FIGURES = ("rate", "win_rate", "rebusiness_rate", "mean_project_margin", "sales_share")
# Columns a reader never needs when the table names the account (the account's internal key).
HIDDEN_WITH_NAMES = {"account_id"}
# Fitting a table to the page (``fit_columns``): the width a page's main column has at 1440 px
# with the sidebar open (978 px, measured in chromium, less the grid's border), what
# a character of the grid's 14 px font and a cell's padding take, and how narrow a column of long
# text or a header may become before the table scrolls instead.
FIT_PX = 975
CHAR_PX, CELL_PAD_PX = 7.2, 24
# Headers: a heavier font; the grid sizes a column to its header with little room around it
# (GRID_HEADER_PAD_PX), but a header in a column we size needs room for the sort/menu mark too.
HEADER_CHAR_PX, HEADER_PAD_PX, GRID_HEADER_PAD_PX = 6.6, 46, 20
MIN_HEADER_CHARS, MIN_TEXT_PX = 8, 150
# What an interval column is headed where room is short; its figure's column is just left of it.
INTERVAL_HEADER = "95% interval"

# What "—" means, said once under a table that has one.
MISSING_NOTE = f"{MISSING} = no data behind this figure in the period (no answers, deals or completed projects)."


@dataclass
class Readable:
    """A table ready to show: its cells, the column to pin (its key) and which columns are counts."""

    frame: pd.DataFrame
    key: str | None
    counts: list[str] = field(default_factory=list)
    has_missing: bool = False


def label(column: str) -> str:
    """A column name in words: LABELS, else the name with spaces ("days_open" -> "Days open")."""
    if column in LABELS:
        return LABELS[column]
    words = re.sub(r"(\d+)m\b", r"\1 months", str(column).replace("_", " ")).strip()
    words = re.sub(r"\b(nps|csat)\b", lambda m: m.group(1).upper(), words)  # "csat_after" -> "CSAT after"
    return words[:1].upper() + words[1:]


def interval_pairs(columns: list[str]) -> dict[str, tuple[str, str]]:
    """Figure -> (low, high) columns of its 95% interval, for the pairs this table holds."""
    pairs = {}
    for column in columns:
        if not column.endswith("ci_low") or column.replace("ci_low", "ci_high") not in columns:
            continue
        high = column.replace("ci_low", "ci_high")
        if column == "ci_low":
            figure = next((name for name in PLAIN_INTERVAL_FIGURES if name in columns), None)
        else:
            stem = column[: -len("_ci_low")]
            figure = INTERVAL_OF.get(stem, stem)
        if figure in columns:
            pairs[figure] = (column, high)
    return pairs


def cell_formatter(column: str, series: pd.Series):
    """How one column's values are written, or None to keep them as numbers (counts)."""
    if column in MONEY:
        return money
    if column in RATES:
        return pct
    if column in SIGNED_RATES:
        return lambda v: MISSING if pd.isna(v) else f"{v:+.1%}"
    if column in WHOLE_NUMBERS:
        return None
    if column in ONE_DECIMAL:
        return lambda v: number(v, 1)
    if column in TWO_DECIMALS:
        return lambda v: number(v, 2)
    if pd.api.types.is_bool_dtype(series):
        return lambda v: MISSING if pd.isna(v) else ("yes" if v else "no")
    if pd.api.types.is_datetime64_any_dtype(series) and column == "month":
        return lambda v: MISSING if pd.isna(v) else f"{v:%b %Y}"
    if pd.api.types.is_datetime64_any_dtype(series):
        with_time = bool((series.dropna().dt.normalize() != series.dropna()).any())
        return lambda v: MISSING if pd.isna(v) else f"{v:%d %b %Y %H:%M}" if with_time else f"{v:%d %b %Y}"
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if len(whole) and (whole == whole.round()).all() and series.notna().all():
            return None  # a count that SQL returned as a float (sum of flags)
        return lambda v: number(v)
    if pd.api.types.is_numeric_dtype(series):
        return None
    return lambda v: MISSING if v is None or (not isinstance(v, str) and pd.isna(v)) or v == "" else str(v)


def _interval_text(write, low, high) -> str:
    if pd.isna(low) or pd.isna(high):
        return MISSING
    return f"{write(low)}–{write(high)}"


def readable(table: pd.DataFrame) -> Readable:
    """``table`` as a page shows it (see the module's docstring); rows keep their order."""
    columns = [str(c) for c in table.columns]
    hidden = HIDDEN_WITH_NAMES if "account_name" in columns else set()
    pairs = interval_pairs(columns)
    folded = {side for pair in pairs.values() for side in pair}
    out, counts, missing = {}, [], False
    for column in columns:
        if column in hidden or column in folded:
            continue
        series = table[column]
        write = cell_formatter(column, series)
        name = label(column)
        if column in MONEY:
            name = f"{name} ({currency_unit()})"
        if write is None:
            whole = series.round().astype("Int64") if pd.api.types.is_float_dtype(series) else series
            out[name] = whole
            counts.append(name)
        else:
            out[name] = [write(v) for v in series]
            missing = missing or MISSING in out[name]
        if column in pairs:
            low, high = pairs[column]
            interval_write = write or number
            out[f"{label(column)}: 95% interval"] = [
                _interval_text(interval_write, lo, hi) for lo, hi in zip(table[low], table[high])]
    frame = pd.DataFrame(out, index=range(len(table)))
    texts = [label(c) for c in columns if c not in hidden | folded and not pd.api.types.is_numeric_dtype(table[c])]
    key = texts[0] if texts else (frame.columns[0] if len(frame.columns) else None)
    return Readable(frame, key, counts, missing)


@dataclass
class ColumnFit:
    """How one column is drawn to fit: its header (shortened, the full one on hover) and width."""

    header: str
    width: int
    full_header: str


def _text_px(chars: int) -> int:
    return round(CELL_PAD_PX + CHAR_PX * chars)


def _header_px(chars: int, pad: float = HEADER_PAD_PX) -> int:
    return round(pad + HEADER_CHAR_PX * chars)


def fit_columns(shown: Readable, budget_px: int = FIT_PX) -> dict[str, ColumnFit]:
    """Widths and headers that fit ``shown`` into ``budget_px``, or {} when it fits as it is.

    A column as wide as its header and longest cell, summed, is the grid's own layout. When that
    is too wide: interval columns are headed "95% interval" (the full name on hover); headers
    longer than their cells give up room, then long text, each by the same share of what it can
    give (a header down to MIN_HEADER_CHARS characters, text to MIN_TEXT_PX; the grid ends the
    text with "…" and shows it whole on a click). The key column keeps its width. What still does
    not fit scrolls, its key column pinned.
    """
    frame = shown.frame
    cells = {c: max([len(str(v)) for v in frame[c]] or [0]) for c in frame.columns}
    headers = {c: INTERVAL_HEADER if str(c).endswith(f": {INTERVAL_HEADER}") else str(c) for c in frame.columns}
    natural = {c: max(_header_px(len(str(c)), GRID_HEADER_PAD_PX), _text_px(cells[c])) for c in frame.columns}
    if sum(natural.values()) <= budget_px:
        return {}
    width = {c: max(_header_px(len(headers[c])), _text_px(cells[c])) for c in frame.columns}
    texts = [c for c in frame.columns if c != shown.key and c not in shown.counts
             and not pd.api.types.is_numeric_dtype(frame[c])]  # pandas 3 holds text as str, not object
    floors = (
        {c: max(_header_px(min(len(headers[c]), MIN_HEADER_CHARS)), _text_px(cells[c])) for c in frame.columns},
        {c: max(MIN_TEXT_PX, _header_px(min(len(headers[c]), MIN_HEADER_CHARS))) if c in texts else width[c]
         for c in frame.columns},
    )
    for floor in floors:
        excess = sum(width.values()) - budget_px
        room = {c: max(0, width[c] - floor[c]) for c in frame.columns if c != shown.key}
        if excess <= 0 or not sum(room.values()):
            continue
        share = min(1.0, excess / sum(room.values()))
        width = {c: width[c] - round(share * room.get(c, 0)) for c in frame.columns}
    fits = {}
    for c in frame.columns:
        header, chars = headers[c], round((width[c] - HEADER_PAD_PX) / HEADER_CHAR_PX)
        if len(header) > chars:
            header = header[: max(chars - 1, 1)].rstrip() + "…"
        fits[c] = ColumnFit(header, width[c], str(c))
    return fits
