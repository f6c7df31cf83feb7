"""Number formats shared by pages, tables, exports and the board pack: one style everywhere.

Money is short ("68.9M", "412k") and carries its currency: the one the warehouse's amounts are
in (each deal and project keeps the ISO code its export gave, ``use_currencies``), else the
setting ``WINWIN_CURRENCY`` (an ISO code such as EUR) for amounts whose export named none. With
neither, money is said to be in an unknown currency rather than shown with a code that may be
wrong; amounts in several currencies are added unconverted and every figure says so
("USD+EUR 1.5M"). Missing values are "—", never 0.
"""

from __future__ import annotations

import contextvars
import os
import re

# What a missing figure shows (DOMAIN.md: missing data is shown as missing, never as 0).
MISSING = "—"
# The currency of every amount, as an ISO 4217 code, from the setting; "" when unset. Only
# three letters are kept, so the setting cannot put markup into a page or a file.
CURRENCY = "".join(re.findall(r"[A-Z]", os.environ.get("WINWIN_CURRENCY", "").upper()))[:3]
# Short-number steps: one style for tiles, tables, chart labels and axes ("1.5M", "412k").
STEPS = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


# What an axis title or column says when no export and no setting names the currency.
UNKNOWN_CURRENCY = "currency unknown"
# The currencies the open warehouse's amounts are in (None: an amount whose export named none).
# Set by whoever opens the warehouse for a page or a report; per thread, so one page run never
# reads another's. Unset (a caller that never opened one): the setting alone.
_WAREHOUSE_CURRENCIES: contextvars.ContextVar[tuple] = contextvars.ContextVar("currencies", default=(None,))


def use_currencies(codes) -> None:
    """Say which currencies the amounts about to be shown are in (``metrics.currencies``)."""
    _WAREHOUSE_CURRENCIES.set(tuple(codes) or (None,))


def currencies() -> list[str]:
    """The currencies of the amounts shown, each an ISO code, "" for unknown (no export code, no setting)."""
    codes = {code or CURRENCY for code in _WAREHOUSE_CURRENCIES.get()}
    return sorted(codes, key=lambda code: (code == "", code))


def mixed_currencies() -> bool:
    """True when sums add amounts of several currencies (or known and unknown ones): unconverted."""
    return len(currencies()) > 1


def _currency_code() -> str:
    """The code a figure carries: "EUR", "USD+EUR" when mixed, "" when unknown."""
    return "+".join(code or "?" for code in currencies()) if mixed_currencies() else currencies()[0]


def currency_unit() -> str:
    """How an axis title or column name names the money: "EUR"; "USD+EUR, not converted" when the
    amounts are in several; "currency unknown" when neither the exports nor the setting name it."""
    code = _currency_code()
    if mixed_currencies():
        return f"{code}, not converted"
    return code or UNKNOWN_CURRENCY


def currency_note() -> str | None:
    """The sentence a page or report shows under its money when it cannot be read as one currency."""
    codes = currencies()
    if mixed_currencies():
        named = ", ".join(code or "no currency given" for code in codes)
        return (f"Amounts come in several currencies ({named}) and are added as they are, not converted: "
                "a sum marked with more than one code mixes them.")
    if not codes[0]:
        return ("The exports name no currency for their amounts, so money is shown without one; an administrator "
                "can name it with the WINWIN_CURRENCY setting (an ISO code such as EUR).")
    return None


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
    """Money in the one short style, with its currency code ("EUR 1.5M"; "USD+EUR 1.5M" when mixed)."""
    if _missing(value):
        return MISSING
    code = _currency_code()
    return f"{code} {short(value)}" if code else short(value)


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
