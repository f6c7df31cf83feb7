"""Number formats shared by pages, tables, exports and the board pack: one style everywhere.

Money is short ("68.9M", "412k") and carries its currency when the setting names one
(``WINWIN_CURRENCY``, an ISO code such as EUR): the exports this app reads give amounts in the
CRM's currency without naming it, so with no setting money is said to be "in CRM currency"
rather than shown with a symbol that may be wrong. Missing values are "—", never 0.
"""

from __future__ import annotations

import os
import re

# What a missing figure shows (DOMAIN.md: missing data is shown as missing, never as 0).
MISSING = "—"
# The currency of every amount, as an ISO 4217 code, from the setting; "" when unset. Only
# three letters are kept, so the setting cannot put markup into a page or a file.
CURRENCY = "".join(re.findall(r"[A-Z]", os.environ.get("WINWIN_CURRENCY", "").upper()))[:3]
# Short-number steps: one style for tiles, tables, chart labels and axes ("1.5M", "412k").
STEPS = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def currency_unit() -> str:
    """How an axis title or column name names the money: "EUR", or "CRM currency" when unset."""
    return CURRENCY or "CRM currency"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def pct(value: float | None, digits: int = 1) -> str:
    return MISSING if _missing(value) else f"{value:.{digits}%}"


def short(value: float | None) -> str:
    """A number as short as it reads: 68,912,000 -> "68.9M", 412,300 -> "412.3k", 950 -> "950"."""
    if _missing(value):
        return MISSING
    for size, suffix in STEPS:
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def money(value: float | None) -> str:
    """Money in the one short style, with the currency code when the setting names one."""
    if _missing(value):
        return MISSING
    return f"{CURRENCY} {short(value)}" if CURRENCY else short(value)


def number(value: float | None, digits: int = 0) -> str:
    return MISSING if _missing(value) else f"{value:,.{digits}f}"


def delta(now: float | None, before: float | None, scale: float = 1.0, unit: str = "", digits: int = 1) -> str | None:
    """Change against the previous period as text, or None when either side is missing."""
    if _missing(now) or _missing(before):
        return None
    return f"{(now - before) * scale:+,.{digits}f}{unit}"


def points(now: float | None, before: float | None) -> str | None:
    """Change of a rate (0-1) in percentage points: 0.30 -> 0.35 is "+5.0 pts"."""
    return delta(now, before, 100, " pts")


def money_delta(now: float | None, before: float | None) -> str | None:
    """Change in money against the previous period, as short as the value itself ("+1.5M")."""
    if _missing(now) or _missing(before):
        return None
    change = now - before
    return ("+" if change >= 0 else "-") + short(abs(change))
