"""Filters and periods: what the sidebar selects, as SQL (``Filters.scope``) and as words
(``Filters.describe`` / ``stamp``), from one label map; the period choices and month arithmetic.

Nothing a user types is ever pasted into SQL text: every scope fragment is constant text with
one placeholder, bound to the list of chosen values.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

# Bounds standing in for "no limit" so every query binds the same two parameters.
EARLIEST, LATEST = date(1900, 1, 1), date(9999, 12, 31)

# The dimension filters a Filters may carry -> how captions, stamps and the board pack name them
# (the sidebar's label is the same word capitalised). The one label map.
DIMENSIONS = {"segments": "segment", "regions": "region", "teams": "delivery team", "reps": "sales rep",
              "owners": "account owner", "accounts": "account"}


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the month's last day where it has no 31st.
    The one way the metrics do month arithmetic."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """Inclusive date range; None means open-ended. ``year_to_date`` periods compare with the
    same dates a year earlier (``previous``)."""

    start: date | None = None
    end: date | None = None
    year_to_date: bool = False

    @property
    def params(self) -> list[date]:
        return [self.start or EARLIEST, self.end or LATEST]

    def previous(self) -> Period | None:
        """The period to compare with. Year to date: the same dates a year earlier. Whole months:
        the same number of whole months just before (Q1 -> Q4). From a month's first day to a
        day inside a later month (a window ending on the data date): the same dates that many
        months earlier. Else the same number of days just before. None when open-ended."""
        if self.start is None or self.end is None:
            return None
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        if self.year_to_date:
            return Period(add_months(self.start, -12), add_months(self.end, -12), year_to_date=True)
        before = self.start - timedelta(days=1)
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            return period_ending(before, months)
        if self.start.day == 1 and months > 1:
            return Period(add_months(self.start, -months), add_months(self.end, -months))
        return Period(before - (self.end - self.start), before)

    def describe(self) -> str:
        """The period in words: "01 Jan 2025 – 31 Mar 2025", or "all time"."""
        if self.start is None and self.end is None:
            return "all time"
        start = f"{self.start:%d %b %Y}" if self.start else "the start"
        end = f"{self.end:%d %b %Y}" if self.end else "the latest data"
        return f"{start} – {end}"

    def is_partial(self, data_date: date | None) -> bool:
        """True when the period ends on the data date inside a month (the last month is not over)."""
        return bool(data_date and self.end == data_date and _month_end(data_date) != data_date)


def period_ending(end: date, months: int) -> Period:
    """The `months` whole months ending with `end`'s month (e.g. the last 12 months of data)."""
    first = add_months(end.replace(day=1), -(months - 1))
    return Period(first, _month_end(end))


# The sidebar's period choices (the URL values too) -> whole months back from the data date.
PERIOD_CHOICES = {"Last 12 months": 12, "Last 6 months": 6, "Last 3 months": 3, "Year to date": None,
                  "All time": None}
DEFAULT_PERIOD = "Last 12 months"


def period_of(choice: str, data_date: date | None) -> Period:
    """The period a choice of PERIOD_CHOICES means on data up to ``data_date``. Windows never run
    past the data date: "Last 3 months" on data up to 15 Jun is 1 Apr – 15 Jun (June is partial:
    ``Period.is_partial`` says so); Year to date is 1 Jan – the data date."""
    if choice not in PERIOD_CHOICES:
        raise ValueError(f"period must be one of {list(PERIOD_CHOICES)}")
    if choice == "All time" or data_date is None:
        return Period()
    if choice == "Year to date":
        return Period(date(data_date.year, 1, 1), data_date, year_to_date=True)
    return Period(period_ending(data_date, PERIOD_CHOICES[choice]).start, data_date)


# SQL that keeps only the rows the sidebar's dimension filters select. A query carries the
# fragment of a dimension only when that dimension is filtered: DuckDB scans a fragment's
# subquery even when it could skip it, so an unused one costs more than many a query it is in.
_ACCOUNT_COLUMNS = {"segments": "segment", "regions": "region", "owners": "owner", "accounts": "account_id"}
_REP_BY_ACCOUNT = "account_id IN (SELECT account_id FROM fct_opportunity WHERE list_contains(?, owner))"
_TEAM_BY_ACCOUNT = "account_id IN (SELECT account_id FROM fct_project WHERE list_contains(?, delivery_team))"
_TEAM_BY_PROJECT = "project_id IN (SELECT project_id FROM fct_project WHERE list_contains(?, delivery_team))"

# How each grain meets the sales-rep and delivery-team filters: by its own column where it has
# one (a deal's owner, a project's seller and team, an escalation's project), else through the
# account (the accounts the rep sold to / the team delivered to).
SCOPES = {
    "deal": {"reps": "list_contains(?, owner)", "teams": _TEAM_BY_ACCOUNT},
    "project": {"reps": "list_contains(?, sold_by)", "teams": "list_contains(?, delivery_team)"},
    "escalation": {"reps": _REP_BY_ACCOUNT, "teams": _TEAM_BY_PROJECT},
    "account": {"reps": _REP_BY_ACCOUNT, "teams": _TEAM_BY_ACCOUNT},
}


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects: a period and, per dimension, the values kept (empty: all).

    Every metric takes one (a bare Period still works: no dimension filter). ``accounts``
    narrows to single accounts (the account page); the others are the sidebar's.
    """

    period: Period = Period()
    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    reps: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    @classmethod
    def of(cls, value: Filters | Period | None) -> Filters:
        if isinstance(value, Filters):
            return value
        return cls(period=value or Period())

    def with_period(self, period: Period) -> Filters:
        return replace(self, period=period)

    def previous(self) -> Filters | None:
        before = self.period.previous()
        return None if before is None else self.with_period(before)

    def scope(self, grain: str) -> tuple[str, list]:
        """SQL keeping the rows of ``grain`` (a key of SCOPES) the dimension filters select, and
        the values it binds; ``TRUE`` when no dimension is filtered. The one place dimension
        choices become SQL."""
        chosen = {name: list(values) for name in ("segments", "regions", "owners", "accounts", "reps", "teams")
                  if (values := getattr(self, name))}
        clauses, params = [], []
        by_account = [name for name in _ACCOUNT_COLUMNS if name in chosen]
        if by_account:
            kept = " AND ".join(f"list_contains(?, {_ACCOUNT_COLUMNS[name]})" for name in by_account)
            clauses.append(f"account_id IN (SELECT account_id FROM dim_account WHERE {kept})")
            params += [chosen[name] for name in by_account]
        for name, clause in SCOPES[grain].items():
            if name in chosen:
                clauses.append(clause)
                params.append(chosen[name])
        return " AND ".join(clauses) or "TRUE", params

    def within(self, grain: str, day: str) -> tuple[str, list]:
        """``scope(grain)`` for the rows whose ``day`` (constant SQL) falls in the period."""
        scope, params = self.scope(grain)
        return f"{day} BETWEEN ? AND ? AND {scope}", self.period.params + params

    def describe(self) -> str:
        """The filters in words, as captions, exports and the board pack say them: the period,
        then each dimension chosen ("segment: Enterprise")."""
        text = self.period.describe()
        for dimension, label in DIMENSIONS.items():
            if chosen := getattr(self, dimension):
                text += f" · {label}: {', '.join(map(str, chosen))}"
        return text

    def stamp(self, data_date: date | None) -> str:
        """The line every export and board-pack page carries: the filters in force and the data date."""
        latest = f"data up to {data_date:%d %b %Y}" if data_date else "no data loaded"
        return f"{self.describe()} · {latest}"


def describe(filters: Filters | Period) -> str:
    """``Filters.describe`` of a Filters or a bare Period."""
    return Filters.of(filters).describe()


def answers_followed_into(period: Filters | Period, months: int) -> Filters | Period:
    """The answer (or escalation) dates whose ``months``-month outcome window ends inside ``period``.

    Answers given in a recent period cannot show what followed yet; this reads the period's
    re-business against the answers given ``months`` months earlier (the Escalations page reads
    what followed escalations the same way). Filters keep their dimensions and get the earlier period.
    """
    if isinstance(period, Filters):
        return period.with_period(answers_followed_into(period.period, months))
    return Period(*(None if day is None else add_months(day, -months) for day in (period.start, period.end)))


def data_date(con) -> date | None:
    """The latest dated event in the warehouse (None when it is empty)."""
    try:
        row = con.execute("SELECT data_date FROM mart_data_date").fetchone()
    except Exception:  # a warehouse built before any data has no marts yet
        return None
    return row[0] if row else None


def filter_options(con) -> dict[str, list[str]]:
    """The values each sidebar filter offers, from what is loaded."""
    queries = {
        "segments": "SELECT DISTINCT segment FROM dim_account WHERE segment IS NOT NULL ORDER BY 1",
        "regions": "SELECT DISTINCT region FROM dim_account WHERE region IS NOT NULL ORDER BY 1",
        "teams": "SELECT DISTINCT delivery_team FROM fct_project WHERE delivery_team IS NOT NULL ORDER BY 1",
        "reps": "SELECT DISTINCT owner FROM fct_opportunity WHERE owner IS NOT NULL ORDER BY 1",
        "owners": "SELECT DISTINCT owner FROM dim_account WHERE owner IS NOT NULL ORDER BY 1",
    }
    return {name: [row[0] for row in con.execute(sql).fetchall()] for name, sql in queries.items()}


def named(con, frame):
    """``frame`` with its accounts' names next to their ids (a drill-down list opens accounts by name)."""
    names = con.execute("SELECT account_id, account_name FROM dim_account").df()
    out = frame.merge(names, on="account_id", how="left")
    return out[["account_name"] + list(frame.columns)]
