"""Number formats shared by pages and exports."""

from __future__ import annotations


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def money(value: float | None) -> str:
    if value is None:
        return "–"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def number(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def delta(now: float | None, before: float | None, scale: float = 1.0, unit: str = "", digits: int = 1) -> str | None:
    """Change against the previous period as text, or None when either side is missing."""
    if now is None or before is None:
        return None
    return f"{(now - before) * scale:+,.{digits}f}{unit}"


def money_delta(now: float | None, before: float | None) -> str | None:
    """Change in money against the previous period, as short as the value itself ("+1.5M")."""
    if now is None or before is None:
        return None
    change = now - before
    return ("+" if change >= 0 else "-") + money(abs(change))


def definitions(*names: str) -> None:
    """The page's metric definitions, word for word from pipelines.metrics, in an expander."""
    import streamlit as st

    from pipelines.metrics import DEFINITIONS

    with st.expander("Definitions"):
        for name in names:
            st.markdown(f"**{name}** — {DEFINITIONS[name]}")
