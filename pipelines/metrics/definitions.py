"""The registry of metric definitions: each module writes a metric's text with ``define`` right
above the function that computes it; pages, exports and the board pack read ``DEFINITIONS``."""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {}


def define(key: str, text: str) -> str:
    """Register ``text`` as the definition of ``key`` (once: a second definition is a bug)."""
    if key in DEFINITIONS:
        raise ValueError(f"{key} is defined twice")
    DEFINITIONS[key] = text
    return text
