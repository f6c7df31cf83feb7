"""Sidebar filters kept in the URL's query parameters, so a copied link reproduces the view.

The URL is the one source of truth: every run sets each filter widget from its parameter
(``from_url``), and a change to a widget writes the URL back at once (``to_url``, its
callback). Streamlit's own ``bind="query-params"`` does this too, but a page switch from its
sidebar menu sometimes lost the parameters (the browser reported only some of the widgets);
here the menu's links and the drill-down carry them (``page_links``, ``open_account``).
app.py draws the filters once for every page (``shared_sidebar``); pages read ``current()``.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from pipelines import metrics
from pipelines.metrics import Filters, Period
from ui import data, layout
from ui.text import plain

# The sidebar's period choices (the URL values too, ?period=All+time): metrics' presets, then a
# custom range. The default is metrics.DEFAULT_PERIOD, the board pack's default too.
PERIODS = [*metrics.PERIOD_CHOICES, "Custom range"]
DEFAULT_PERIOD = metrics.DEFAULT_PERIOD
# The dimension filters: Filters field -> (sidebar label, URL key). The label is metrics' one
# label map (metrics.DIMENSIONS), capitalised.
URL_KEYS_OF = {"segments": "segment", "regions": "region", "teams": "team", "reps": "rep", "owners": "owner"}
DIMENSIONS = {field: (metrics.DIMENSIONS[field].capitalize(), key) for field, key in URL_KEYS_OF.items()}
# The dates a custom range may take (a link with year 1 or 9999 failed: the previous period of
# year 1 does not exist); outside them the range falls back to the default.
CUSTOM_RANGE_BOUNDS = (metrics.EARLIEST, date(2199, 12, 31))
# The satisfaction measure every view that reads satisfaction reads (URL ?measure=csat): its
# default is metrics.default_measure, the measure with more answers in the period.
MEASURE_KEY = "measure"
MEASURE_LABELS = {measure: spec["label"] for measure, spec in metrics.MEASURES.items()}
# Where the run keeps the measure's default (written to the URL all the same: see to_url).
_MEASURE_DEFAULT = "winwin_measure_default"
# Every URL parameter the filters own, in the order a link writes them.
URL_KEYS = ["period", "from", "to", *(key for _, key in DIMENSIONS.values()), MEASURE_KEY]


def _parsed(key: str, values: list[str], options: list | None):
    """A URL parameter's values as the widget's value, or None when they do not fit it
    (an unknown period, a malformed date): the filter then falls back to its default."""
    if key in ("from", "to"):
        try:
            day = date.fromisoformat(values[-1])
        except ValueError:
            return None
        return day if CUSTOM_RANGE_BOUNDS[0] <= day <= CUSTOM_RANGE_BOUNDS[1] else None
    if key == "period":
        return values[-1] if values[-1] in PERIODS else None
    if key == MEASURE_KEY:
        return values[-1] if values[-1] in MEASURE_LABELS else None
    return [value for value in dict.fromkeys(values) if value in options]  # unknown names dropped


def from_url(key: str, default, options: list | None = None) -> None:
    """Set the widget ``key`` from its URL parameter (its default when absent or invalid),
    before the widget is drawn: a pasted link, a menu link and the browser's back button all
    arrive as a URL."""
    values = st.query_params.get_all(key)
    value = _parsed(key, values, options) if values else None
    st.session_state[key] = default if value is None else value


def to_url() -> None:
    """Write every filter's value to the URL (a widget's on_change, and after every run so that
    a corrected parameter is corrected in the address bar too). Defaults are left out: the
    plain URL means the default view. The measure is written even when it is its default: that
    default follows the answers in the period, so a copied link must say which one it shows."""
    for key in URL_KEYS:
        value = st.session_state.get(key)
        if key in ("from", "to") and st.session_state.get("period") != "Custom range":
            value = None
        written = (
            []
            if value in (None, [], DEFAULT_PERIOD)
            else [
                item.isoformat() if isinstance(item, date) else item
                for item in (value if isinstance(value, list) else [value])
            ]
        )
        if st.query_params.get_all(key) == written:
            continue
        if written:
            st.query_params[key] = written
        else:
            del st.query_params[key]


def period_filter(data_date: date) -> Period:
    """The period chosen in the sidebar; presets count back from the data date, not today."""
    from_url("period", DEFAULT_PERIOD)
    choice = st.sidebar.selectbox(
        "Period",
        PERIODS,
        key="period",
        on_change=to_url,
        help="Presets count whole months back from the latest data, not from today.",
    )
    if choice == "Custom range":
        default = metrics.period_of(DEFAULT_PERIOD, data_date)
        from_url("from", default.start)
        from_url("to", default.end)
        start = st.sidebar.date_input("From", key="from", on_change=to_url,
                                      min_value=CUSTOM_RANGE_BOUNDS[0], max_value=CUSTOM_RANGE_BOUNDS[1])
        end = st.sidebar.date_input("To", key="to", on_change=to_url,
                                    min_value=CUSTOM_RANGE_BOUNDS[0], max_value=CUSTOM_RANGE_BOUNDS[1])
        if start > end:
            st.sidebar.warning(f"From is after To: showing {end:%d %b %Y} – {start:%d %b %Y}.")
            start, end = end, start
        return Period(start, end)
    return metrics.period_of(choice, data_date)


def sidebar_filters(data_date: date) -> Filters:
    """The period and the dimension filters (segment, region, delivery team, sales rep,
    account owner) chosen in the sidebar; an empty choice keeps everything."""
    period = period_filter(data_date)
    options = data.query(metrics.filter_options)
    chosen = {}
    for field, (label, key) in DIMENSIONS.items():
        from_url(key, [], options[field])
        chosen[field] = tuple(
            st.sidebar.multiselect(label, options[field], key=key, on_change=to_url, placeholder="all")
        )
    filters = Filters(period=period, **chosen)
    measure_filter(filters)
    to_url()
    return filters


def measure_filter(filters: Filters) -> str:
    """NPS or CSAT, read by every view that reads satisfaction; opens on the measure with more
    answers in the period (metrics.default_measure)."""
    default = data.query(metrics.default_measure, filters)
    st.session_state[_MEASURE_DEFAULT] = default
    from_url(MEASURE_KEY, default)
    return st.sidebar.radio(
        "Satisfaction measure",
        list(MEASURE_LABELS),
        format_func=MEASURE_LABELS.get,
        key=MEASURE_KEY,
        on_change=to_url,
        horizontal=True,
        help="Every view that reads satisfaction reads this one: NPS (-100..100) or CSAT (share of 4-5). "
        "It opens on the one with more answers in the period.",
    )


def measure() -> str:
    """The satisfaction measure chosen in the sidebar ("nps" or "csat")."""
    return st.session_state.get(MEASURE_KEY) or st.session_state.get(_MEASURE_DEFAULT) or "nps"


def measure_label() -> str:
    return MEASURE_LABELS[measure()]


def sources_line(*names: str) -> str:
    """The caption saying which of a page's sources are loaded (DOMAIN.md: each page says so)."""
    loaded = data.query(metrics.loaded_sources)
    said = [f"{name.replace('_', ' ')} {'✓' if loaded.get(name) else '✗ not loaded'}" for name in names]
    return "Sources: " + " · ".join(said)


def loaded(name: str) -> bool:
    return bool(data.query(metrics.loaded_sources).get(name))


def carried_parameters() -> list[tuple[str, str]]:
    """The filters' URL parameters in force, as a link carries them to another page; anything
    page-specific (?account=) stays behind."""
    return [(key, value) for key in URL_KEYS for value in st.query_params.get_all(key)]


def page_links(menu, pages: list) -> None:
    """The sidebar menu: a link per page that takes the filters along."""
    carried = carried_parameters()
    for page in pages:
        menu.page_link(page, query_params=carried)


# Where app.py leaves the filters for the page it runs.
_CHOSEN = "winwin_filters"


def shared_sidebar() -> None:
    """Draw the filters from app.py, before the page runs.

    Widgets made in the entry script are the same widgets on every page, so the sidebar does
    not flicker or lose focus on a page switch; their values come from the URL the menu's
    links carry (``page_links``).
    """
    if data.has_data():
        st.session_state[_CHOSEN] = sidebar_filters(data.query(metrics.data_date))


def current() -> Filters:
    """The filters app.py drew for this run (pages call this after ``data.require_data``).

    A page run without app.py (AppTest's ``switch_page`` runs the page script alone) draws
    them itself, so it still has its filters.
    """
    chosen = st.session_state.pop(_CHOSEN, None)
    return chosen if chosen is not None else sidebar_filters(data.query(metrics.data_date))


def page_filters() -> tuple[Filters, date, str, Filters | None]:
    """What every analysis page starts from: stop with how to load when the warehouse is empty,
    else the sidebar's filters, the data date, the stamp its exports carry and the filters of
    the previous period (None when open-ended) for the deltas."""
    data.require_data()
    layout.fit_narrow_screens()
    chosen, data_date = current(), data.query(metrics.data_date)
    return chosen, data_date, stamp(chosen, data_date), chosen.previous()


def in_force(chosen: Filters, previous: Filters | None) -> str:
    """The caption under a page's KPIs: the filters, and the period the deltas compare with
    (markdown-escaped: the filter values are names from the exports)."""
    against = f" · deltas against {describe(previous.period)}" if previous else ""
    return plain(f"Filters: {describe(chosen)}{against}")


def describe(period: Period | Filters) -> str:
    """The period, and any dimension filters, as one line (``Filters.describe``: captions,
    export stamps and the board pack say it the same way)."""
    return metrics.describe(period)


def stamp(filters: Filters, data_date: date) -> str:
    """What an export is stamped with: the filters in force and the data date."""
    return Filters.of(filters).stamp(data_date)


def open_account(name: str) -> None:
    """Drill down: the Accounts page on ``name``, with the filters in force."""
    st.switch_page("pages/accounts.py", query_params=[*carried_parameters(), ("account", name)])
